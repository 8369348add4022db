import fs from 'node:fs';
import path from 'node:path';
import { resolveRulesContext } from '../../src/cli/rulesCommand';
import { validateRules } from '../../src/route';

/**
 * The shipped config/rules.yaml must be valid against the models shipped in models/ and the
 * embedded default node configuration, and each commented example must be valid once uncommented.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const text = fs.readFileSync(path.join(ROOT, 'config', 'rules.yaml'), 'utf8');

describe('config/rules.yaml as shipped', () => {
  it('validates against models/ and the embedded default configuration', () => {
    const { context } = resolveRulesContext({ models: path.join(ROOT, 'models') });
    expect(context.modelIds).toContain('brain-gwm');
    expect(context.destinationNames).toEqual(['results']);
    const r = validateRules(text, context);
    expect(r.ok ? [] : r.problems).toEqual([]);
  });

  it('each commented example is valid once uncommented', () => {
    // Example lines are the commented YAML indented under `rules:` ("  # - id:", "  #   ...").
    const lines = text.split('\n');
    const examples = lines.filter((l) => /^ {2}# (- |\s)/.test(l)).map((l) => `  ${l.slice(4)}`);
    const ids = examples.filter((l) => /^ {2}- id: /.test(l)).map((l) => l.replace(/^ {2}- id: /, '').trim());
    expect(ids).toEqual([
      'adult-cxr-frontal',
      'neonatal-cxr',
      'ct-abdomen-contrast-bone-density',
      'nm-spect',
    ]);
    const withExamples = `${text}\n${examples.join('\n')}\n`;
    const r = validateRules(withExamples, { modelIds: null, destinationNames: ['results'] });
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (r.ok) expect(r.ruleSet.rules.map((x) => x.id)).toEqual(['brain-t1-3d', 'fallback', ...ids]);
  });
});
