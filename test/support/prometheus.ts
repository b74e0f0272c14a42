/**
 * Parse Prometheus text exposition with the Prometheus project's own Python client parser
 * (prometheus_client.parser.text_string_to_metric_families; Debian's python3-prometheus-client), so tests check
 * the format with a real text-format parser rather than with inferd's own assumptions. `PROMETHEUS_PARSER_SKIP`
 * is false when the parser is there, else the reason to skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import prometheus_client.parser'], { encoding: 'utf8' });

/** False when the parser can run, else a skip message. */
export const PROMETHEUS_PARSER_SKIP: false | string = probe.status === 0
  ? false
  : `needs Debian's python3-prometheus-client (apt-get install -y python3-prometheus-client): ${PYTHON} -c "import prometheus_client.parser" failed`;

/** One sample of a family. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family as the parser returns it. */
export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: readonly Sample[];
}

const SCRIPT = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": (s.value if math.isfinite(s.value) else str(s.value))} for s in f.samples]})
print(json.dumps(out))
`;

/** Parse exposition text; throws (with the parser's message) when it is not valid text format. */
export function parsePrometheus(text: string): Family[] {
  const json = execFileSync(PYTHON, ['-c', SCRIPT], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(json) as Family[];
}

/** Sum of the values of samples named `name` whose labels include `labels`. */
export function sampleValue(families: readonly Family[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += Number(s.value);
    }
  }
  return total;
}
