import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InferdError } from '../../../src/core/errors.ts';
import { parseErrorDetail } from '../../../src/server/config/config-file.ts';
import {
  diffConfigs,
  loadModelServerConfig,
  modelServerConfigFromObject,
  parseModelServerConfigText,
  validateModelServerConfig,
} from '../../../src/server/config/model-server-config.ts';
import type { ModelServerConfig } from '../../../src/server/config/model-server-config.ts';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/tensorflow-serving/', import.meta.url));
const noFixtures = existsSync(FIXTURES) ? false : `shared fixtures absent (${FIXTURES})`;

/** The InferdError `fn` throws (asserting it throws one). */
function thrown(fn: () => unknown): InferdError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InferdError, `InferdError expected, got ${String(err)}`);
    return err;
  }
  return assert.fail('expected an error');
}

async function rejected(p: Promise<unknown>): Promise<InferdError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof InferdError, `InferdError expected, got ${String(err)}`);
    return err;
  }
  return assert.fail('expected a rejection');
}

const FULL_TEXT = `
# Two models, every ModelConfig field inferd uses.
model_config_list {
  config {
    name: "half_plus_two"
    base_path: "/models/half_plus_two"
    model_platform: "tensorflow"
    model_version_policy { specific { versions: 42 versions: 43 } }
    version_labels { key: "stable" value: 42 }
    version_labels { key: "canary" value: 43 }
  }
  config: <
    name: 'mnist'; base_path: "s3://bucket/mnist"; model_platform: "onnx";
    model_version_policy: { latest: { num_versions: 2 } }
  >
  config { name: "auto" base_path: "/models/auto" model_version_policy { all {} } }
}`;

const FULL_EXPECTED: ModelServerConfig = {
  models: [
    {
      name: 'half_plus_two',
      basePath: '/models/half_plus_two',
      platform: 'tensorflow',
      versionPolicy: { kind: 'specific', versions: [42, 43] },
      versionLabels: { stable: 42, canary: 43 },
    },
    { name: 'mnist', basePath: 's3://bucket/mnist', platform: 'onnx', versionPolicy: { kind: 'latest', numVersions: 2 }, versionLabels: {} },
    { name: 'auto', basePath: '/models/auto', versionPolicy: { kind: 'all' }, versionLabels: {} },
  ],
};

describe('ModelServerConfig: text format', () => {
  it('parses every field into the typed config', () => {
    assert.deepEqual(parseModelServerConfigText(FULL_TEXT, 'models.config'), FULL_EXPECTED);
  });

  it('defaults: latest 1, no labels, platform detected; num_versions < 1 becomes 1', () => {
    const c = parseModelServerConfigText(
      'model_config_list { config { name: "a" base_path: "/a" } config { name: "b" base_path: "/b" model_version_policy { latest { num_versions: 0 } } } }',
    );
    assert.deepEqual(c.models[0], { name: 'a', basePath: '/a', versionPolicy: { kind: 'latest', numVersions: 1 }, versionLabels: {} });
    assert.deepEqual(c.models[1]?.versionPolicy, { kind: 'latest', numVersions: 1 });
    assert.equal('platform' in (c.models[0] ?? {}), false);
  });

  it('an empty file or empty list means no models', () => {
    assert.deepEqual(parseModelServerConfigText(''), { models: [] });
    assert.deepEqual(parseModelServerConfigText('model_config_list {}'), { models: [] });
  });

  it('maps the deprecated model_type TENSORFLOW to platform tensorflow', () => {
    const c = parseModelServerConfigText('model_config_list { config { name: "a" base_path: "/a" model_type: TENSORFLOW } }');
    assert.equal(c.models[0]?.platform, 'tensorflow');
  });

  it('accepts logging_config (not used by inferd)', () => {
    const c = parseModelServerConfigText(
      'model_config_list { config { name: "a" base_path: "/a" logging_config { sampling_config { sampling_rate: 0.5 } } } }',
    );
    assert.equal(c.models.length, 1);
  });

  it('syntax and schema errors: INVALID_ARGUMENT with TensorFlow Serving\'s prefix and line:col', () => {
    const prefix = 'Error parsing text-format tensorflow.serving.ModelServerConfig: ';
    const cases: [string, string][] = [
      ['improperly formatted file', '1:12: Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".'],
      ['model_config_list {\n  config {\n    name: "a"\n    foo: 1\n  }\n}', '4:8: Message type "tensorflow.serving.ModelConfig" has no field named "foo".'],
      ['model_config_list { config { name "a" } }', '1:35: Expected ":", found ""a"".'],
      ['model_config_list { config { name: "a" }', '1:41: Expected "}", found "".'],
      ['model_config_list { config { model_version_policy { newest {} } } }', '1:60: Message type "tensorflow.serving.FileSystemStoragePathSourceConfig.ServableVersionPolicy" has no field named "newest".'],
      ['model_config_list { config { model_version_policy { latest { num_versions: -1 } } } }', '1:76: Expected integer, got: -'],
      ['model_config_list { config { version_labels { key: "s" value: "x" } } }', '1:63: Expected integer, got: "x"'],
      ['model_config_list {} model_config_list {}', '1:40: Non-repeated field "model_config_list" is specified multiple times.'],
      ['model_config_list {} custom_model_config {}', '1:42: Field "custom_model_config" is specified along with field "model_config_list", another member of oneof "config".'],
    ];
    for (const [text, detail] of cases) {
      const err = thrown(() => parseModelServerConfigText(text));
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.equal(err.message, prefix + detail, text);
    }
  });

  it('custom_model_config is refused', () => {
    const err = thrown(() => parseModelServerConfigText('custom_model_config { type_url: "x" }'));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, /custom_model_config/);
  });
});

describe('ModelServerConfig: validation (TensorFlow Serving messages)', () => {
  const cases: [string, string][] = [
    ['config { name: "a" base_path: "/a" } config { name: "a" base_path: "/b" }', 'Illegal to list model a multiple times in config list'],
    ['config { name: "a" base_path: "models/a" }', 'Expected model a to have an absolute path or URI; got base_path()=models/a'],
    ['config { name: "a" base_path: "${MODELS}/a" }', 'Expected model a to have an absolute path or URI; got base_path()=${MODELS}/a'],
    ['config { name: "a" base_path: "/a" model_platform: "pytorch" }', 'Model a requests unsupported platform pytorch'],
    ['config { name: "a" base_path: "/a" model_type: OTHER }', 'Model a requests unsupported platform other'],
    [
      'config { name: "a" base_path: "/a" model_type: TENSORFLOW model_platform: "tensorflow" }',
      'Illegal setting both ModelServerConfig::model_type (deprecated) and ModelServerConfig::model_platform, model name is a',
    ],
  ];
  for (const [list, message] of cases) {
    it(message, () => {
      const err = thrown(() => parseModelServerConfigText(`model_config_list { ${list} }`));
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.equal(err.message, message);
    });
  }

  it('validateModelServerConfig normalizes a hand-built config', () => {
    const c = validateModelServerConfig({ models: [{ name: 'm', basePath: 'gs://b/m', platform: 'tfjs', versionPolicy: { kind: 'latest', numVersions: -3 } }] });
    assert.deepEqual(c, { models: [{ name: 'm', basePath: 'gs://b/m', platform: 'tfjs', versionPolicy: { kind: 'latest', numVersions: 1 }, versionLabels: {} }] });
  });
});

describe('ModelServerConfig: JSON, YAML and plain objects', () => {
  const json = JSON.stringify({
    model_config_list: {
      config: [
        {
          name: 'half_plus_two',
          basePath: '/models/half_plus_two',
          modelPlatform: 'tensorflow',
          modelVersionPolicy: { specific: { versions: ['42', 43] } },
          versionLabels: { stable: '42', canary: 43 },
        },
        { name: 'mnist', base_path: 's3://bucket/mnist', model_platform: 'onnx', model_version_policy: { latest: { num_versions: 2 } } },
        { name: 'auto', base_path: '/models/auto', model_version_policy: { all: {} }, logging_config: null },
      ],
    },
  });
  const yaml = `
model_config_list:
  config:
    - name: half_plus_two
      base_path: /models/half_plus_two
      model_platform: tensorflow
      model_version_policy: { specific: { versions: [42, 43] } }
      version_labels: { stable: 42, canary: 43 }
    - name: mnist
      basePath: s3://bucket/mnist
      modelPlatform: onnx
      modelVersionPolicy:
        latest:
          numVersions: 2
    - { name: auto, base_path: /models/auto, model_version_policy: { all: {} } }
`;

  it('JSON (proto names and lowerCamelCase) gives the same config as text format', () => {
    assert.deepEqual(parseModelServerConfigText(json, 'models.json'), FULL_EXPECTED);
  });

  it('YAML gives the same config as text format', () => {
    assert.deepEqual(parseModelServerConfigText(yaml, 'models.yaml'), FULL_EXPECTED);
    assert.deepEqual(parseModelServerConfigText(yaml, 'models.YML'), FULL_EXPECTED);
  });

  it('plain objects (e.g. a decoded ReloadConfigRequest) give the same config', () => {
    assert.deepEqual(modelServerConfigFromObject(JSON.parse(json)), FULL_EXPECTED);
  });

  it('a protobufjs-style object with custom_model_config (bytes as Uint8Array) is refused clearly', () => {
    const err = thrown(() => modelServerConfigFromObject({ custom_model_config: { type_url: 'x', value: new Uint8Array([1, 2]) } }));
    assert.match(err.message, /custom_model_config/);
  });

  it('errors name the field path', () => {
    const err = thrown(() => parseModelServerConfigText('{"model_config_list": {"config": [{"name": "a", "bogus": 1}]}}', 'c.json'));
    assert.equal(
      err.message,
      'Error parsing JSON tensorflow.serving.ModelServerConfig: model_config_list.config[0]: Message type "tensorflow.serving.ModelConfig" has no field named "bogus".',
    );
    const typeErr = thrown(() => parseModelServerConfigText('model_config_list: { config: [ { name: 3 } ] }', 'c.yaml'));
    assert.equal(typeErr.message, 'Error parsing YAML tensorflow.serving.ModelServerConfig: model_config_list.config[0].name: Expected a string for field "name", got 3.');
    const notArray = thrown(() => modelServerConfigFromObject({ modelConfigList: { config: { name: 'a' } } }));
    assert.match(notArray.message, /^Invalid ModelServerConfig: modelConfigList\.config: Expected an array/);
  });

  it('syntax errors: JSON message, YAML line:col', () => {
    const j = thrown(() => parseModelServerConfigText('{"model_config_list": ', 'c.json'));
    assert.match(j.message, /^Error parsing JSON tensorflow\.serving\.ModelServerConfig: /);
    const y = thrown(() => parseModelServerConfigText('model_config_list:\n  config:\n    - name: a\n   base_path: /x\n', 'c.yaml'));
    assert.match(y.message, /^Error parsing YAML tensorflow\.serving\.ModelServerConfig: 4:\d+: /);
  });
});

describe('ModelServerConfig: files', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads text, JSON and YAML files by extension', async () => {
    await writeFile(join(dir, 'models.config'), FULL_TEXT);
    await writeFile(join(dir, 'models.json'), JSON.stringify({ modelConfigList: { config: [{ name: 'a', basePath: '/a' }] } }));
    await writeFile(join(dir, 'models.yaml'), 'model_config_list:\n  config:\n    - name: a\n      base_path: /a\n');
    assert.deepEqual(await loadModelServerConfig(join(dir, 'models.config')), FULL_EXPECTED);
    const small = { models: [{ name: 'a', basePath: '/a', versionPolicy: { kind: 'latest', numVersions: 1 }, versionLabels: {} }] };
    assert.deepEqual(await loadModelServerConfig(join(dir, 'models.json')), small);
    assert.deepEqual(await loadModelServerConfig(join(dir, 'models.yaml')), small);
  });

  it('a bad file: `Invalid protobuf file` with the parse error as cause', async () => {
    const path = join(dir, 'bad.config');
    await writeFile(path, 'model_config_list {\n  config { name: "a" oops: 1 }\n}\n');
    const err = await rejected(loadModelServerConfig(path));
    assert.equal(err.toString(), `INVALID_ARGUMENT: Invalid protobuf file: '${path}'`);
    assert.equal(
      parseErrorDetail(err),
      'Error parsing text-format tensorflow.serving.ModelServerConfig: 2:26: Message type "tensorflow.serving.ModelConfig" has no field named "oops".',
    );
  });

  it('a missing file is NOT_FOUND', async () => {
    const err = await rejected(loadModelServerConfig(join(dir, 'nope.config')));
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.message, `${join(dir, 'nope.config')}; No such file or directory`);
  });

  it('fixture good_model_config.txt parses; its ${VAR} base paths are not expanded', { skip: noFixtures }, async () => {
    const path = join(FIXTURES, 'good_model_config.txt');
    const err = await rejected(loadModelServerConfig(path));
    assert.equal(err.message, 'Expected model half_plus_two to have an absolute path or URI; got base_path()=${TEST_HALF_PLUS_TWO_DIR}');
    // As TensorFlow Serving's own test does, substitute the placeholders before serving.
    const text = (await readFile(path, 'utf8'))
      .replace('${TEST_HALF_PLUS_TWO_DIR}', '/models/saved_model_half_plus_two_cpu')
      .replace('${TEST_HALF_PLUS_THREE_DIR}', '/models/saved_model_half_plus_three');
    const c = parseModelServerConfigText(text, path);
    assert.deepEqual(
      c.models.map((m) => [m.name, m.basePath, m.platform]),
      [
        ['half_plus_two', '/models/saved_model_half_plus_two_cpu', 'tensorflow'],
        ['half_plus_three', '/models/saved_model_half_plus_three', 'tensorflow'],
      ],
    );
  });

  it('fixture bad_model_config.txt fails with the error text and line:col', { skip: noFixtures }, async () => {
    const path = join(FIXTURES, 'bad_model_config.txt');
    const err = await rejected(loadModelServerConfig(path));
    assert.equal(err.toString(), `INVALID_ARGUMENT: Invalid protobuf file: '${path}'`);
    assert.equal(
      parseErrorDetail(err),
      'Error parsing text-format tensorflow.serving.ModelServerConfig: 1:12: Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".',
    );
  });
});

describe('diffConfigs', () => {
  const base = parseModelServerConfigText(
    'model_config_list { config { name: "a" base_path: "/a" model_platform: "onnx" } config { name: "b" base_path: "/b" } config { name: "c" base_path: "/c" } }',
  );

  it('added, removed, changed and unchanged models', () => {
    const next = parseModelServerConfigText(
      `model_config_list {
         config { name: "a" base_path: "/a" model_platform: "onnx" version_labels { key: "stable" value: 1 } }
         config { name: "c" base_path: "/c2" model_version_policy { all {} } }
         config { name: "d" base_path: "/d" }
       }`,
    );
    const d = diffConfigs(base, next);
    assert.deepEqual(d.added.map((m) => m.name), ['d']);
    assert.deepEqual(d.removed.map((m) => m.name), ['b']);
    assert.deepEqual(
      d.changed.map((c) => [c.name, c.basePath, c.versionPolicy, c.versionLabels]),
      [
        ['a', false, false, true],
        ['c', true, true, false],
      ],
    );
    assert.deepEqual(d.unchanged, []);
    assert.deepEqual(d.errors, []);
  });

  it('identical configs: everything unchanged; specific versions compare as sets', () => {
    const x = parseModelServerConfigText('model_config_list { config { name: "a" base_path: "/a" model_version_policy { specific { versions: [2, 1] } } } }');
    const y = parseModelServerConfigText('model_config_list { config { name: "a" base_path: "/a" model_version_policy { specific { versions: [1, 2, 2] } } } }');
    const d = diffConfigs(x, y);
    assert.equal(d.unchanged.length, 1);
    assert.equal(d.changed.length + d.added.length + d.removed.length + d.errors.length, 0);
  });

  it('a platform change is illegal', () => {
    const next = parseModelServerConfigText('model_config_list { config { name: "a" base_path: "/a" model_platform: "tensorflow" } }');
    const d = diffConfigs(base, next);
    assert.equal(d.errors.length, 1);
    assert.equal(d.errors[0]?.code, 'INVALID_ARGUMENT');
    assert.equal(d.errors[0]?.message, "Illegal to change a model's platform. For model a platform was onnx and new platform requested is tensorflow");
  });

  it('a detected platform counts through resolvedPlatform', () => {
    const next = parseModelServerConfigText('model_config_list { config { name: "b" base_path: "/b" model_platform: "tfjs" } }');
    assert.equal(diffConfigs(base, next).errors.length, 0, 'unknown detected platform: nothing to compare');
    const d = diffConfigs(base, next, (name) => (name === 'b' ? 'onnx' : undefined));
    assert.equal(d.errors[0]?.message, "Illegal to change a model's platform. For model b platform was onnx and new platform requested is tfjs");
  });
});
