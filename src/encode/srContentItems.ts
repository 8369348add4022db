import type { NaturalDataset } from '../dicom';
import type { Code, Unit } from '../pipeline/types';
import { codeSequenceItem } from './codes';
import { clip, formatDs } from './dicomValues';

/** Relationship types of PS3.3 C.17.3.2.4 used by TID 1500. */
export type Relationship =
  'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'HAS ACQ CONTEXT' | 'INFERRED FROM';

/** A content item as a naturalized dataset (PS3.3 C.17.3 SR Document Content Module). */
export type ContentItem = NaturalDataset;

/** ContentTemplateSequence item naming a DCMR template (PS3.3 C.18.8 Template Identification). */
export function templateIdentification(templateId: string): NaturalDataset[] {
  return [
    { MappingResource: 'DCMR', MappingResourceUID: '1.2.840.10008.8.1.1', TemplateIdentifier: templateId },
  ];
}

/** CONTAINER with continuity SEPARATE, optionally identified by a template. */
export function containerItem(
  relationship: Relationship | null,
  concept: Code,
  children: ContentItem[],
  templateId?: string,
): ContentItem {
  const item: ContentItem = {};
  if (relationship) item.RelationshipType = relationship;
  item.ValueType = 'CONTAINER';
  item.ConceptNameCodeSequence = [codeSequenceItem(concept)];
  item.ContinuityOfContent = 'SEPARATE';
  if (templateId) item.ContentTemplateSequence = templateIdentification(templateId);
  if (children.length > 0) item.ContentSequence = children;
  return item;
}

/** CODE content item (PS3.3 C.18.2). */
export function codeItem(
  relationship: Relationship,
  concept: Code,
  value: Code,
  children: ContentItem[] = [],
): ContentItem {
  return withChildren(
    {
      RelationshipType: relationship,
      ValueType: 'CODE',
      ConceptNameCodeSequence: [codeSequenceItem(concept)],
      ConceptCodeSequence: [codeSequenceItem(value)],
    },
    children,
  );
}

/** TEXT content item (PS3.3 C.18.1, UT value). */
export function textItem(relationship: Relationship, concept: Code, text: string): ContentItem {
  return {
    RelationshipType: relationship,
    ValueType: 'TEXT',
    ConceptNameCodeSequence: [codeSequenceItem(concept)],
    TextValue: text,
  };
}

/** UIDREF content item (PS3.3 C.18.1). */
export function uidrefItem(relationship: Relationship, concept: Code, uid: string): ContentItem {
  return {
    RelationshipType: relationship,
    ValueType: 'UIDREF',
    ConceptNameCodeSequence: [codeSequenceItem(concept)],
    UID: uid,
  };
}

/** NUM content item with a UCUM unit (PS3.3 C.18.1 Numeric Measurement Macro, DS at most 16 characters). */
export function numItem(
  relationship: Relationship,
  concept: Code,
  value: number,
  unit: Unit,
  children: ContentItem[] = [],
): ContentItem {
  return withChildren(
    {
      RelationshipType: relationship,
      ValueType: 'NUM',
      ConceptNameCodeSequence: [codeSequenceItem(concept)],
      MeasuredValueSequence: [
        {
          MeasurementUnitsCodeSequence: [
            { CodeValue: unit.code, CodingSchemeDesignator: 'UCUM', CodeMeaning: clip(unit.meaning, 64) },
          ],
          NumericValue: formatDs(value),
        },
      ],
    },
    children,
  );
}

/** What an IMAGE content item references (PS3.3 C.18.4 Image Reference Macro). */
export interface ImageReference {
  sopClassUid: string;
  sopInstanceUid: string;
  /** For multi-frame instances. */
  frameNumbers?: number[];
  /** For a SEG: the segment referenced (TID 1411 row 7). */
  segmentNumber?: number;
}

/** IMAGE content item; the concept name is optional (absent in the TID 1601 Image Library entries). */
export function imageItem(
  relationship: Relationship,
  concept: Code | null,
  ref: ImageReference,
): ContentItem {
  const sop: NaturalDataset = {
    ReferencedSOPClassUID: ref.sopClassUid,
    ReferencedSOPInstanceUID: ref.sopInstanceUid,
  };
  if (ref.frameNumbers && ref.frameNumbers.length > 0) sop.ReferencedFrameNumber = ref.frameNumbers;
  if (ref.segmentNumber !== undefined) sop.ReferencedSegmentNumber = [ref.segmentNumber];
  const item: ContentItem = { RelationshipType: relationship, ValueType: 'IMAGE' };
  if (concept) item.ConceptNameCodeSequence = [codeSequenceItem(concept)];
  item.ReferencedSOPSequence = [sop];
  return item;
}

function withChildren(item: ContentItem, children: ContentItem[]): ContentItem {
  if (children.length > 0) item.ContentSequence = children;
  return item;
}
