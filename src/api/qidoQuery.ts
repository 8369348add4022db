import { NodeError } from '../pipeline/errors';
import { attributeText, tagOf, type DicomJsonAttribute, type DicomJsonDataset } from './dicomJson';
import type { IndexedInstance } from './dicomWebIndex';
import { INDEXED_TAGS, INSTANCE_TAGS, SERIES_TAGS, STUDY_TAGS, TAG } from './qidoAttributes';

export type QidoLevel = 'study' | 'series' | 'instance';

/** A parsed QIDO-RS query (PS3.18 10.6.1.2). */
export interface QidoQuery {
  /** tag → query value (attribute matching, PS3.4 C.2.2.2). */
  match: Map<string, string>;
  includeAll: boolean;
  includeTags: Set<string>;
  fuzzy: boolean;
  limit: number;
  offset: number;
  /** Keys that were understood but cannot be matched on (returned as a Warning header). */
  ignored: string[];
}

const RESERVED = new Set(['limit', 'offset', 'includefield', 'fuzzymatching']);
const DATE_TIME_VRS = new Set(['DA', 'TM', 'DT']);
const MATCHABLE = new Set<string>([...INDEXED_TAGS, TAG.ModalitiesInStudy]);
const MAX_LIMIT = 10000;

/** Parses the query string of a QIDO-RS request; unknown keys are a 400. */
export function parseQidoQuery(q: Record<string, unknown>): QidoQuery {
  const out: QidoQuery = {
    match: new Map(),
    includeAll: false,
    includeTags: new Set(),
    fuzzy: false,
    limit: 1000,
    offset: 0,
    ignored: [],
  };
  const one = (v: unknown): string => (Array.isArray(v) ? v.map(String).join(',') : String(v ?? ''));
  for (const [key, raw] of Object.entries(q)) {
    const value = one(raw);
    if (RESERVED.has(key)) {
      if (key === 'limit' || key === 'offset') {
        if (!/^\d+$/.test(value)) throw new NodeError('BAD_REQUEST', `${key} must be a non-negative integer`);
        const n = Number(value);
        if (key === 'limit') out.limit = Math.min(Math.max(n, 0), MAX_LIMIT);
        else out.offset = n;
      } else if (key === 'fuzzymatching') out.fuzzy = value === 'true';
      else {
        for (const f of value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)) {
          if (f === 'all') out.includeAll = true;
          else {
            const t = tagOf(f);
            if (!t) throw new NodeError('BAD_REQUEST', `includefield ${f} is not a DICOM keyword or tag`);
            out.includeTags.add(t);
          }
        }
      }
      continue;
    }
    const tag = tagOf(key);
    if (!tag) throw new NodeError('BAD_REQUEST', `${key} is not a DICOM keyword or tag (PS3.18 10.6.1.2)`);
    if (!MATCHABLE.has(tag)) {
      out.ignored.push(key);
      continue;
    }
    out.match.set(tag, value);
  }
  return out;
}

/** A study, series or instance record: its attributes (DICOM JSON) and the instances under it. */
interface QidoRecord {
  attributes: DicomJsonDataset;
  instances: IndexedInstance[];
  vrOf: (tag: string) => string;
}

function pick(ds: DicomJsonDataset, tags: readonly string[]): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const t of tags) if (ds[t]) out[t] = ds[t]!;
  return out;
}

function uniq(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))].sort();
}

/** Groups instances into records of a level, with the computed attributes (PS3.18 10.6.3.3). */
export function buildRecords(instances: IndexedInstance[], level: QidoLevel, baseUrl: string): QidoRecord[] {
  const key = (i: IndexedInstance): string =>
    level === 'study'
      ? i.studyInstanceUid
      : level === 'series'
        ? `${i.studyInstanceUid}/${i.seriesInstanceUid}`
        : i.sopInstanceUid;
  const groups = new Map<string, IndexedInstance[]>();
  for (const i of instances) {
    const k = key(i);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  const studies = new Map<string, IndexedInstance[]>();
  for (const i of instances) {
    const g = studies.get(i.studyInstanceUid);
    if (g) g.push(i);
    else studies.set(i.studyInstanceUid, [i]);
  }
  const records: QidoRecord[] = [];
  for (const group of groups.values()) {
    const first = group.find((i) => i.origin === 'input') ?? group[0]!;
    const a: DicomJsonDataset = { ...first.attributes };
    a[TAG.StudyInstanceUID] = { vr: 'UI', Value: [first.studyInstanceUid] };
    const studyUrl = `${baseUrl}/studies/${first.studyInstanceUid}`;
    a[TAG.InstanceAvailability] = { vr: 'CS', Value: ['ONLINE'] };
    const inStudy = studies.get(first.studyInstanceUid) ?? group;
    if (level === 'study') {
      a[TAG.ModalitiesInStudy] = {
        vr: 'CS',
        Value: uniq(inStudy.map((i) => attributeText(i.attributes, TAG.Modality))),
      };
      a[TAG.NumberOfStudyRelatedSeries] = {
        vr: 'IS',
        Value: [new Set(inStudy.map((i) => i.seriesInstanceUid)).size],
      };
      a[TAG.NumberOfStudyRelatedInstances] = { vr: 'IS', Value: [inStudy.length] };
      a[TAG.RetrieveURL] = { vr: 'UR', Value: [studyUrl] };
    } else {
      a[TAG.SeriesInstanceUID] = { vr: 'UI', Value: [first.seriesInstanceUid] };
      a[TAG.ModalitiesInStudy] = {
        vr: 'CS',
        Value: uniq(inStudy.map((i) => attributeText(i.attributes, TAG.Modality))),
      };
      const seriesUrl = `${studyUrl}/series/${first.seriesInstanceUid}`;
      if (level === 'series') {
        a[TAG.NumberOfSeriesRelatedInstances] = { vr: 'IS', Value: [group.length] };
        a[TAG.RetrieveURL] = { vr: 'UR', Value: [seriesUrl] };
      } else {
        a[TAG.SOPInstanceUID] = { vr: 'UI', Value: [first.sopInstanceUid] };
        a[TAG.SOPClassUID] = { vr: 'UI', Value: [first.sopClassUid] };
        a[TAG.RetrieveURL] = { vr: 'UR', Value: [`${seriesUrl}/instances/${first.sopInstanceUid}`] };
      }
    }
    records.push({ attributes: a, instances: group, vrOf: (t) => a[t]?.vr ?? '' });
  }
  return records;
}

function wildcardRegex(pattern: string, caseInsensitive: boolean): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseInsensitive ? 'i' : '');
}

/** One value against one query value (PS3.4 C.2.2.2: single value, list of UID, wildcard, range). */
export function matchValue(value: string, query: string, vr: string, fuzzy: boolean): boolean {
  if (query === '' || query === '*') return true;
  if (vr === 'UI' && /[,\\]/.test(query))
    return query
      .split(/[,\\]/)
      .map((s) => s.trim())
      .includes(value);
  if (DATE_TIME_VRS.has(vr) && query.includes('-')) {
    const [lo = '', hi = ''] = query.split('-', 2);
    if (!value) return false;
    const v = value.replace(/[^0-9]/g, '');
    const l = lo.replace(/[^0-9]/g, '');
    const h = hi.replace(/[^0-9]/g, '');
    return (l === '' || v >= l) && (h === '' || v.slice(0, h.length) <= h);
  }
  if (vr === 'PN') {
    if (/[*?]/.test(query)) return wildcardRegex(query, true).test(value);
    if (fuzzy) {
      const parts = value
        .toLowerCase()
        .split(/[\^ =]+/)
        .filter(Boolean);
      return query
        .toLowerCase()
        .split(/[\^ ]+/)
        .filter(Boolean)
        .every((q) => parts.some((p) => p.startsWith(q)));
    }
    return value.toLowerCase() === query.toLowerCase();
  }
  if (/[*?]/.test(query)) return wildcardRegex(query, false).test(value);
  return value === query;
}

function recordMatches(r: QidoRecord, q: QidoQuery): boolean {
  for (const [tag, query] of q.match) {
    const attr: DicomJsonAttribute | undefined = r.attributes[tag];
    const vr =
      attr?.vr ??
      (tag === TAG.ModalitiesInStudy
        ? 'CS'
        : tag.startsWith('0020000') || tag === '00080016' || tag === '00080018'
          ? 'UI'
          : '');
    const values = attributeText(r.attributes, tag).split('\\');
    if (!values.some((v) => matchValue(v, query, vr, q.fuzzy))) return false;
  }
  return true;
}

/** Runs a query over the instances at a level: matching, then offset and limit, then the return keys. */
export function runQido(
  instances: IndexedInstance[],
  level: QidoLevel,
  q: QidoQuery,
  baseUrl: string,
): DicomJsonDataset[] {
  const matched = buildRecords(instances, level, baseUrl).filter((r) => recordMatches(r, q));
  const page = matched.slice(q.offset, q.offset + q.limit);
  const levelTags: string[] =
    level === 'study'
      ? [
          ...STUDY_TAGS,
          TAG.ModalitiesInStudy,
          TAG.NumberOfStudyRelatedSeries,
          TAG.NumberOfStudyRelatedInstances,
        ]
      : level === 'series'
        ? [...SERIES_TAGS, TAG.StudyInstanceUID, TAG.NumberOfSeriesRelatedInstances]
        : [...INSTANCE_TAGS, TAG.StudyInstanceUID, TAG.SeriesInstanceUID];
  const tags = new Set<string>([
    ...levelTags,
    TAG.RetrieveURL,
    TAG.InstanceAvailability,
    ...q.match.keys(),
    ...q.includeTags,
  ]);
  return page.map((r) => (q.includeAll ? sortTags(r.attributes) : sortTags(pick(r.attributes, [...tags]))));
}

function sortTags(ds: DicomJsonDataset): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const k of Object.keys(ds).sort()) out[k] = ds[k]!;
  return out;
}
