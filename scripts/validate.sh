#!/usr/bin/env bash
# Validates the deployable artefacts: the SAM template (SAM's own checks and cfn-lint), the
# member-account template, both templates' security (checkov, parliament, and an IAM evaluator
# over their policies: tests/iam), and the state machine definition (statelint and
# asl-validator, which each catch what the other misses; neither reads the template, and
# cfn-lint does not read DefinitionUri files), and checks that the definition's ${...} names
# are exactly the template's DefinitionSubstitutions.
# Any finding fails the script. Run scripts/bootstrap.sh first (scripts/test.sh does).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv="$root/.venv/bin"
export SAM_CLI_TELEMETRY=0

echo "validate: sam validate --lint" >&2
"$venv/sam" validate --lint --region us-east-1 --template template.yaml

echo "validate: cfn-lint (warnings fail too)" >&2
"$venv/cfn-lint" template.yaml

for definition in statemachine/*.asl.json; do
  # statelint 3.1.0, the newest release, predates JSONata and variables (Step Functions,
  # November 2024) and refuses `QueryLanguage`, `Assign`, `Arguments`, `Output`, `Condition`:
  # a definition that uses them is checked by asl-validator 4 (which knows them), the
  # contract tests and its execution in the end-to-end tier.
  if grep -q '"QueryLanguage": "JSONata"\|"Assign":' "$definition"; then
    echo "validate: statelint skipped for $definition (JSONata or variables: asl-validator checks it)" >&2
  else
    echo "validate: statelint $definition" >&2
    # statelint 3.1.0 predates ItemReader's ReaderConfig.InputType, which AWS requires to read a
    # JSON file (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html):
    # that one finding is dropped; asl-validator checks the field.
    findings=$("$venv/statelint" --ignore=FLOAT "$definition" 2>&1 | grep -v '^ *Field "InputType" not allowed in State Machine\.States\..*\.ItemReader\.ReaderConfig$' | grep -v -e '^[0-9]* errors:$' -e '^One error:$' || true)
    if [ -n "$findings" ]; then echo "$findings" >&2; exit 1; fi
  fi

  echo "validate: asl-validator $definition" >&2
  "$root/tests/tools/node_modules/.bin/asl-validator" --json-path "$definition"
done

echo "validate: definition substitutions" >&2
"$venv/python" - template.yaml statemachine/*.asl.json <<'PY'
import json, re, sys
from cfnlint.decode import cfn_yaml

template_path, definitions = sys.argv[1], sys.argv[2:]
template = cfn_yaml.load(template_path)
for definition_path in definitions:
    with open(definition_path) as f:
        used = set(re.findall(r"\$\{(\w+)\}", f.read()))
    given, deployed = set(), False
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::StateMachine" and props.get("DefinitionUri") == definition_path:
            given |= set(props.get("DefinitionSubstitutions", {}))
            deployed = True
    if not deployed:
        sys.exit(f"{definition_path} is deployed by no state machine of {template_path}")
    if used != given:
        sys.exit(f"{definition_path} uses {sorted(used)} but {template_path} substitutes {sorted(given)}")
PY

echo "validate: cfn-lint of the member-account template" >&2
"$venv/cfn-lint" member-account.yaml

echo "validate: checkov (each skip is justified in the template's Metadata)" >&2
for template in template.yaml member-account.yaml; do
  "$root/.venv-lint/bin/checkov" --file "$template" --framework cloudformation --skip-download --quiet --compact
done

echo "validate: parliament over every IAM policy (accepted findings in tests/iam/parliament_check.py)" >&2
policies=$(mktemp)
trap 'rm -f "$policies"' EXIT
node tests/iam/export-policies.cjs > "$policies"
"$root/.venv-lint/bin/python" tests/iam/parliament_check.py "$policies"

echo "validate: IAM evaluation of both templates' policies (tests/iam)" >&2
node --test --test-reporter=dot tests/iam/

echo "validate: docs/statemachine.md drawn from the definitions" >&2
python3 scripts/diagram.py --check

echo "validate: all clean" >&2
