import fs from 'node:fs';
import path from 'node:path';
import type { AuditSink } from '../pipeline/audit';
import type { Clock, TimerHandle } from '../pipeline/clock';
import { NodeError } from '../pipeline/errors';
import type { Logger } from '../logging/logger';
import { diffRuleSets } from './diffRuleSets';
import { rulesVersion, validateRules } from './parseRules';
import type { RuleSet, RulesContext } from './ruleTypes';

/** Options of a RulesStore (one validated object, STYLE.md anti-patterns). */
export interface RulesStoreOptions {
  /** Path of the rules file (config/rules.yaml). */
  file: string;
  /**
   * What the rules are validated against. A function is asked again at every reload, so a model
   * installed after start (a new `models/<id>/`) can be referenced without a restart.
   */
  context: RulesContext | (() => RulesContext);
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  /** Quiet time after the last file event before reloading (editors write in several steps). */
  debounceMs?: number;
}

/** What a reload did. `version` is the version in force afterwards (the old one when refused). */
export interface ReloadOutcome {
  ok: boolean;
  version: string;
  problems: string[];
  /** True when a new version was swapped in. */
  changed: boolean;
}

const DEFAULT_DEBOUNCE_MS = 500;

/**
 * Holds the rule set in force and hot-reloads it (PRODUCT.md 3): a valid new file is swapped in
 * atomically and audited (`rules.reloaded`, with its version and a diff of rule ids); an invalid
 * one is refused (`rules.rejected`, with every problem) and the old version keeps routing.
 * File events are debounced on the injected clock, so tests call `trigger()` and advance time.
 */
export class RulesStore {
  private ruleSet: RuleSet;
  private watcher: fs.FSWatcher | null = null;
  private pending: TimerHandle | null = null;
  private readonly debounceMs: number;

  /** Loads the file; throws NodeError('RULES_INVALID') listing every problem when it is not valid. */
  constructor(private readonly opts: RulesStoreOptions) {
    this.debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    const text = this.read();
    if (text instanceof Error)
      throw new NodeError('RULES_INVALID', `${opts.file}: cannot be read`, [text.message]);
    const r = validateRules(text, this.context());
    if (!r.ok)
      throw new NodeError('RULES_INVALID', `${opts.file}: ${r.problems.length} problem(s)`, r.problems);
    this.ruleSet = r.ruleSet;
    opts.audit.record({
      event: 'rules.loaded',
      actor: 'node',
      subject: r.ruleSet.version,
      detail: {
        file: path.basename(opts.file),
        version: r.ruleSet.version,
        rules: r.ruleSet.rules.map((x) => x.id),
      },
    });
    opts.logger.info('rules.loaded', { version: r.ruleSet.version, rules: r.ruleSet.rules.length });
  }

  private context(): RulesContext {
    const c = this.opts.context;
    return typeof c === 'function' ? c() : c;
  }

  /** The rule set in force; a job keeps the one it got, whatever reloads happen meanwhile. */
  current(): RuleSet {
    return this.ruleSet;
  }

  private read(): string | Error {
    try {
      return fs.readFileSync(this.opts.file, 'utf8');
    } catch (e) {
      return new Error(
        `cannot read ${path.basename(this.opts.file)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      );
    }
  }

  /** Reads the file again now; swaps it in when valid and different, refuses it otherwise. */
  reload(actor = 'node'): ReloadOutcome {
    const { audit, logger, file } = this.opts;
    const before = this.ruleSet;
    const text = this.read();
    const r =
      text instanceof Error
        ? { ok: false as const, problems: [text.message] }
        : validateRules(text, this.context());
    if (!r.ok) {
      const version = text instanceof Error ? null : rulesVersion(text);
      logger.warn('rules.rejected', { version, currentVersion: before.version, problems: r.problems });
      audit.record({
        event: 'rules.rejected',
        actor,
        subject: version,
        detail: { file: path.basename(file), version, currentVersion: before.version, problems: r.problems },
      });
      return { ok: false, version: before.version, problems: r.problems, changed: false };
    }
    if (r.ruleSet.version === before.version)
      return { ok: true, version: before.version, problems: [], changed: false };
    const diff = diffRuleSets(before, r.ruleSet);
    audit.record({
      event: 'rules.reloaded',
      actor,
      subject: r.ruleSet.version,
      detail: {
        file: path.basename(file),
        version: r.ruleSet.version,
        previousVersion: before.version,
        ...diff,
      },
    });
    this.ruleSet = r.ruleSet;
    logger.info('rules.reloaded', { version: r.ruleSet.version, previousVersion: before.version, ...diff });
    return { ok: true, version: r.ruleSet.version, problems: [], changed: true };
  }

  /** A file event: reloads once no further event came for `debounceMs` on the clock. */
  trigger(): void {
    this.pending?.cancel();
    this.pending = this.opts.clock.setTimer(this.debounceMs, () => {
      this.pending = null;
      try {
        this.reload('file-watch');
      } catch (e) {
        this.opts.logger.error('rules.reload_failed', { error: e });
      }
    });
  }

  /**
   * Watches the folder of the file (editors often replace a file by renaming a new one over it)
   * and calls `trigger()` on every event about the file.
   */
  watch(): void {
    if (this.watcher) return;
    const name = path.basename(this.opts.file);
    this.watcher = fs.watch(path.dirname(this.opts.file), { persistent: false }, (_event, filename) => {
      if (filename === null || filename.toString() === name) this.trigger();
    });
    this.watcher.on('error', (e) => this.opts.logger.error('rules.watch_failed', { error: e }));
  }

  /** Stops watching and cancels a pending reload. */
  close(): void {
    this.watcher?.close();
    this.watcher = null;
    this.pending?.cancel();
    this.pending = null;
  }
}
