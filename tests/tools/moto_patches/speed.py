"""Speed only, no behaviour: work moto repeats on every call, done once.

The end-to-end tier waits on the emulator's one Python process (profiled with py-spy: it runs
at a full core while the tier runs), so what it repeats for nothing is the tier's time:

- Each definition is parsed once. moto's Step Functions engine parses a definition with a
  pure-Python ANTLR parser at every CreateStateMachine and at the start of every execution
  (`ExecutionWorker`): about a quarter of the emulator's CPU on the end-to-end stack. The parse
  tree of a definition text is always the same and is only read afterwards, so it is kept,
  keyed by the text; the preprocessing that builds the evaluation components still runs each
  time, so every execution gets its own components as before. A definition that does not
  parse is not kept and fails as before.
- moto's server finds the backend of each request by listing its own package directory
  (`list_of_moto_modules`: a directory listing and a stat per service, at every request); the
  list does not change while the server runs.
"""

import threading

_trees: dict = {}
_lock = threading.Lock()


def apply() -> None:
    _parse_once()
    _list_modules_once()


def _parse_once() -> None:
    from moto.stepfunctions.parser.asl.parse import asl_parser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    parser = asl_parser.AmazonStateLanguageParser
    if getattr(parser, "_bluegreen_parse_once", False):
        return
    original = parser.parse

    def parse(definition: str):
        tree = _trees.get(definition)
        if tree is None:
            program, tree = original(definition)
            with _lock:
                _trees[definition] = tree
            return program, tree
        return Preprocessor().visit(tree), tree

    parser.parse = staticmethod(parse)
    parser._bluegreen_parse_once = True


def _list_modules_once() -> None:
    from moto import backends

    if getattr(backends, "_bluegreen_modules_once", False):
        return
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    backends._bluegreen_modules_once = True
