"""JSONata in moto's Step Functions engine, evaluated as AWS does.

moto 5.2.5's engine (a port of LocalStack's) parses `QueryLanguage: JSONata` states and `Assign`
but evaluates JSONata through a Java bridge it does not ship (`_eval_jsonata` stays `None`, so
every JSONata state fails). This patch evaluates the expressions with `jsonata-python`, a port of
the reference implementation's Java edition (JSONata 2.0, the version AWS documents), and adds
the functions Step Functions provides on top of the standard library ("Transforming data with
JSONata in Step Functions",
https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): `$partition`,
`$range`, `$hash`, `$random`, `$uuid`, `$parse`.

It also keeps string variables whole: moto writes `"value"` into the expression without
escaping, so a variable holding a quote or a backslash would not parse, where AWS keeps any
string. (The values reach the evaluation as bindings, not as text it parses: see `_bound`.)

And each parse gets its own stack of query-language scopes: moto keeps that stack in a class
attribute shared by every parse, so two executions started at once, one entering a JSONata
state while the other leaves one, failed to parse a valid definition ("Unsupported declaration
in QueryLanguage=JSONPath block") and stayed RUNNING with no state entered. An emulator defect
only: AWS parses each definition on its own.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import uuid

import jsonata as jsonata_lib
from jsonata.utils import Utils

from moto.stepfunctions.parser.asl.jsonata import jsonata as sfn_jsonata
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str


def _partition(items, size):
    items = list(items or [])
    return [items[i : i + int(size)] for i in range(0, len(items), int(size))]


def _range(start, end, step):
    out, n = [], start
    while (n <= end) if step > 0 else (n >= end):
        out.append(n)
        n += step
    return out


def _hash(value, algorithm="SHA-256"):
    name = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}[algorithm]
    return hashlib.new(name, str(value).encode()).hexdigest()


def _random(seed=None):
    return random.Random(seed).random() if seed is not None else random.random()


FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": lambda: str(uuid.uuid4()),
    "parse": lambda text: json.loads(text),
}


# moto writes every variable an expression may read (`$states`, each `Assign`ed variable) into
# the expression's text as a JSON literal (and caches those declarations), so each evaluation
# parsed the whole state data as JSONata: a tenth of the emulator's CPU on the end-to-end stack.
# Each literal is marked (a JSONata comment) where it is written; before the evaluation the
# marked literals are read with Python's JSON decoder and handed to it as bindings
# (`$states:=$__bg0;`), the same values the literal gave. The expression's text then no longer
# changes with the data, so its compiled form is reused. A compiled expression is not safe for
# two threads at once (it keeps its input and environment while it runs), so each text has a
# pool of idle ones, and an evaluation takes one out of it.
_LITERAL = "/*bg*/"
_decoder = json.JSONDecoder()
_idle: dict[str, list] = {}
_idle_lock = threading.Lock()


def _bound(expression: str) -> tuple[str, dict]:
    """The expression with each marked literal replaced by a binding, and the bindings."""
    parts, bindings, start = [], {}, 0
    while (mark := expression.find(_LITERAL, start)) >= 0:
        value, end = _decoder.raw_decode(expression, mark + len(_LITERAL))
        name = f"__bg{len(bindings)}"
        bindings[name] = _nulls(value)
        parts += [expression[start:mark], "$" + name]
        start = end
    parts.append(expression[start:])
    return "".join(parts), bindings


def _nulls(value):
    """JSON's null as JSONata's, as the literal parsed (a bound Python None reads as undefined)."""
    if value is None:
        return Utils.NULL_VALUE
    if isinstance(value, dict):
        return {key: _nulls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nulls(item) for item in value]
    return value


def _compiled(expression: str):
    with _idle_lock:
        pool = _idle.get(expression)
        if pool:
            return pool.pop()
    compiled = jsonata_lib.Jsonata(expression)
    for name, fn in FUNCTIONS.items():
        compiled.register_lambda(name, fn)
    return compiled


def _eval(expression: str):
    try:
        text, bindings = _bound(expression)
        compiled = _compiled(text)
        # What constructing it on this thread does: `$now()` and `$millis()` read the
        # timestamp of the thread's current expression.
        jsonata_lib.Jsonata.CURRENT.jsonata = compiled
        result = compiled.evaluate(None, bindings)
    except Exception as ex:  # the engine turns this into States.QueryEvaluationError
        raise sfn_jsonata.JSONataException("UNKNOWN", str(ex)) from ex
    with _idle_lock:
        _idle.setdefault(text, []).append(compiled)
    return result


def _encode(bindings):
    parts = []
    for reference, value in bindings.items():
        literal = json.dumps(value) if isinstance(value, str) else to_json_str(value, separators=(",", ":"))
        parts.extend([reference, sfn_jsonata._VARIABLE_REFERENCE_ASSIGNMENT_OPERATOR, _LITERAL, literal, sfn_jsonata._VARIABLE_REFERENCE_ASSIGNMENT_STOP_SYMBOL])
    return "".join(parts)


def apply() -> None:
    from moto.stepfunctions.parser.asl.eval import states, variable_store
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    if not getattr(Preprocessor, "_bluegreen_own_scopes", False):
        original_init = Preprocessor.__init__

        def init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            self._query_language_per_scope = []

        Preprocessor.__init__ = init
        Preprocessor._bluegreen_own_scopes = True

    sfn_jsonata._eval_jsonata = _eval
    # The engine imports the encoder by name: replace it where it is used.
    for module in (sfn_jsonata, states, variable_store):
        module.encode_jsonata_variable_declarations = _encode
