// The runbook as data: ids, order, capabilities and answer keys agree with each other and
// with what the core modules read.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMON_ANSWERS } from '../../src/core/answers.js';
import { SERVICES } from '../../src/db/connection.js';
import { answerKeys, answerParser } from '../../src/runbook/answers.js';
import { isSettingsStep, SETTINGS_STEPS } from '../../src/runbook/settings.js';
import { backupStep, findStep, firstSettingsStep, migratingStep, phaseTitle, stepIndex, STEPS } from '../../src/runbook/steps.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []);
}

/** Every answer key the engine and the core modules read or ask (template keys as written, e.g. dump-${service}). */
function keysRead(): Set<string> {
  const keys = new Set<string>();
  for (const file of [...sources(join(SRC, 'core')), join(SRC, 'engine/index.ts')]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\.answer\([^,()]+,\s*(['`])([^'`]+)\1\)/g)) keys.add(m[2]!);
    for (const m of text.matchAll(/\b(?:confirm|ask)\(\{[\s\S]{0,200}?\bkey:\s*(['`])([^'`]+)\1/g)) keys.add(m[2]!);
  }
  return keys;
}

describe('runbook data', () => {
  it('step ids are unique and in the runbook\'s own order', () => {
    const ids = STEPS.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const [i, id] of ids.entries()) assert.equal(stepIndex(id), i);
    assert.equal(findStep('2.3'), undefined);
  });

  it('every step needs only steps that come before it', () => {
    for (const def of STEPS) {
      for (const need of def.needs) {
        assert.ok(findStep(need), `${def.id} needs ${need}, which is no step`);
        assert.ok(stepIndex(need) < stepIndex(def.id), `${def.id} needs ${need}, which comes after it`);
      }
    }
    assert.deepEqual(STEPS[0]!.needs, []);
  });

  it('every step belongs to a phase with a title, phases in order', () => {
    const phases = STEPS.map((s) => s.phase);
    for (const def of STEPS) {
      assert.notEqual(phaseTitle(def.phase), def.phase, `${def.id}: phase ${def.phase} has no title`);
      assert.ok(def.id === def.phase || def.id.startsWith(`${def.phase}.`), `${def.id} is not in phase ${def.phase}`);
    }
    assert.deepEqual(phases, [...phases].sort((a, b) => Number(a) - Number(b)));
  });

  it('capabilities are consistent with the kind of step', () => {
    for (const def of STEPS) {
      if (def.kind !== 'manual') assert.ok(def.module?.apply, `${def.id}: a ${def.kind} step applies something`);
      if (def.simulate) assert.equal(def.kind, 'manual', `${def.id}: only manual steps are performed in the sandbox`);
      if (def.snippets) assert.ok(def.module?.verify, `${def.id}: a settings step verifies the settings`);
      if (def.batchKnob) {
        assert.match(def.batchKnob, /^SNF_UPGRADE_[A-Z_]+$/);
        assert.equal(def.kind, 'migrate', `${def.id}: a batch knob belongs to a migrating step`);
      }
      if (def.unknown) assert.ok(def.unknown.answers.length >= 2 && new Set(def.unknown.answers.map((a) => a.key)).size === def.unknown.answers.length, def.id);
      if (def.decisions) {
        const owner = findStep(def.decisions.step);
        assert.ok(owner, `${def.id}: decisions of a step that does not exist`);
        assert.ok(stepIndex(owner.id) >= stepIndex(def.id), `${def.id} shows the decisions of ${owner.id}, an earlier step`);
        assert.equal(owner.decisions?.kind, def.decisions.kind);
        assert.ok(owner.decisions?.beforeRun, `${owner.id} owns decisions, so they are decided before it runs`);
        if (def.decisions.kind === 'sets') assert.ok(def.decisions.noun, `${def.id}: a set table names its members`);
      }
    }
    const batchKnobs = STEPS.flatMap((s) => (s.batchKnob ? [s.batchKnob] : []));
    assert.equal(new Set(batchKnobs).size, batchKnobs.length, 'one knob per step');
  });

  it('one step backs up, each service is migrated by exactly one step, after the backup', () => {
    assert.equal(STEPS.filter((s) => s.backsUp).length, 1);
    assert.equal(backupStep().id, STEPS[0]!.id);
    for (const service of SERVICES) {
      const def = migratingStep(service);
      assert.ok(stepIndex(def.id) > stepIndex(backupStep().id), `${service} is migrated after the backup`);
    }
  });

  it('the settings steps are the steps with snippets, each naming a distinct part', () => {
    const withSnippets = STEPS.filter((s) => s.snippets);
    assert.deepEqual([...SETTINGS_STEPS], withSnippets.map((s) => s.id));
    assert.equal(new Set(withSnippets.map((s) => s.snippets)).size, withSnippets.length);
    assert.equal(firstSettingsStep().id, withSnippets[0]!.id);
    for (const def of STEPS) assert.equal(isSettingsStep(def.id), !!def.snippets, def.id);
    assert.equal(isSettingsStep(undefined), false);
    assert.equal(isSettingsStep('nothing'), false);
  });
});

describe('runbook answers', () => {
  it('every key the engine and the steps read is declared by a step (or common to all)', () => {
    const declared = new Set([...Object.keys(COMMON_ANSWERS), ...STEPS.flatMap((s) => Object.keys(s.answers ?? {}))]);
    const read = keysRead();
    assert.ok(read.has('survivors') && read.has('statistics') && read.has('lower-defaults'), `keys found: ${[...read].join(', ')}`);
    for (const key of read) {
      if (key === 'dump-${service}') {
        for (const s of SERVICES) assert.ok(answerParser(backupStep().id, `dump-${s}`), s);
      } else {
        assert.ok(declared.has(key), `"${key}" is read but no step declares it`);
      }
    }
  });

  it('every declared key is read somewhere (no parser without a reader)', () => {
    const read = keysRead();
    for (const def of STEPS) {
      for (const key of Object.keys(def.answers ?? {})) {
        assert.ok(read.has(key) || (key.startsWith('dump-') && read.has('dump-${service}')), `${def.id}: "${key}" is declared but never read`);
      }
    }
  });

  it('steps that decide from the answers file declare those keys', () => {
    for (const def of STEPS) {
      const keys = Object.keys(def.answers ?? {});
      if (def.decisions?.beforeRun && def.decisions.kind === 'sets') assert.ok(keys.includes('sets'), `${def.id}: sets`);
      if (def.decisions?.beforeRun && def.decisions.kind === 'users') assert.ok(keys.includes('survivors'), `${def.id}: survivors`);
      if (def.unknown) assert.ok(keys.includes('unknown'), `${def.id}: unknown`);
    }
    assert.equal(answerKeys('no-such-step'), undefined);
    assert.equal(answerParser(STEPS[0]!.id, 'survivors'), undefined);
  });
});
