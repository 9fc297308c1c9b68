// Reads a CloudFormation/SAM template and resolves the intrinsic functions its IAM policies use
// (!Ref, !Sub, !GetAtt, !If with its conditions, AWS::NoValue), so the policies can be evaluated
// as IAM will see them once deployed with the given parameters.
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const { createRequire } = require('node:module');

// The pinned npm tools live in tests/tools (installed by scripts/bootstrap.sh).
const toolsRequire = createRequire(path.join(__dirname, '..', 'tools', 'package.json'));
const yaml = toolsRequire('js-yaml');

const NO_VALUE = Symbol('AWS::NoValue');

/** The short-form tags, kept as `{ 'Fn::X': value }` like the long form. */
function cfnSchema() {
  const kinds = ['scalar', 'sequence', 'mapping'];
  const tags = ['Ref', 'Sub', 'GetAtt', 'If', 'Not', 'Equals', 'And', 'Or', 'Join', 'Select', 'Split', 'Condition', 'Base64', 'FindInMap', 'ImportValue'];
  const types = [];
  for (const tag of tags) {
    for (const kind of kinds) {
      types.push(
        new yaml.Type(`!${tag}`, {
          kind,
          construct: (data) => {
            if (tag === 'Ref') return { Ref: data };
            if (tag === 'Condition') return { Condition: data };
            if (tag === 'GetAtt' && typeof data === 'string') return { 'Fn::GetAtt': data.split('.') };
            return { [`Fn::${tag}`]: data };
          },
        }),
      );
    }
  }
  return yaml.DEFAULT_SCHEMA.extend(types);
}

/** Loads a template file (path relative to the project root). */
function load(relative) {
  const file = path.join(__dirname, '..', '..', relative);
  return yaml.load(fs.readFileSync(file, 'utf8'), { schema: cfnSchema() });
}

/**
 * Resolves intrinsics. `env` = { parameters, pseudo: { 'AWS::AccountId', ... }, getAtt(logicalId, attr) }.
 * Parameters default to the template's Default.
 */
function resolver(template, env) {
  const params = {};
  for (const [name, spec] of Object.entries(template.Parameters || {})) {
    params[name] = name in (env.parameters || {}) ? env.parameters[name] : spec.Default;
    if (params[name] === undefined) throw new Error(`parameter ${name} has no value`);
  }
  const pseudo = {
    'AWS::Partition': 'aws',
    'AWS::NoValue': NO_VALUE,
    ...env.pseudo,
  };
  const ref = (name) => {
    if (name in pseudo) return pseudo[name];
    if (name in params) return params[name];
    if (template.Resources && name in template.Resources) return env.getAtt(name, 'Ref');
    // Resources SAM generates (a function's role), which the template refers to by name.
    if (env.generated && env.generated.test(name)) return env.getAtt(name, 'Ref');
    throw new Error(`unresolved Ref ${name}`);
  };
  const conditions = {};
  const condition = (name) => {
    if (!(name in conditions)) conditions[name] = !!resolve(template.Conditions[name]);
    return conditions[name];
  };
  const sub = (text, vars = {}) =>
    text.replace(/\$\{([^}]+)\}/g, (_, name) => {
      if (name in vars) return resolve(vars[name]);
      if (name.includes('.')) {
        const [id, ...attr] = name.split('.');
        return env.getAtt(id, attr.join('.'));
      }
      return ref(name);
    });

  function resolve(node) {
    if (Array.isArray(node)) return node.map(resolve).filter((v) => v !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [k] = keys;
      const v = node[k];
      switch (k) {
        case 'Ref':
          return ref(v);
        case 'Condition':
          return condition(v);
        case 'Fn::Sub':
          return Array.isArray(v) ? sub(v[0], v[1]) : sub(v);
        case 'Fn::GetAtt':
          return env.getAtt(v[0], v.slice(1).join('.'));
        case 'Fn::If':
          return resolve(condition(v[0]) ? v[1] : v[2]);
        case 'Fn::Not':
          return !resolve(v[0]);
        case 'Fn::Equals':
          return resolve(v[0]) === resolve(v[1]);
        case 'Fn::And':
          return v.every((c) => resolve(c));
        case 'Fn::Or':
          return v.some((c) => resolve(c));
        case 'Fn::Join':
          return resolve(v[1]).join(v[0]);
        default:
          break;
      }
    }
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      const r = resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }
  return { resolve, condition, params };
}

module.exports = { load, resolver, NO_VALUE };
