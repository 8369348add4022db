import dcmjs from 'dcmjs';

// dcmjs prints every unknown private tag to the console unless its log level is lowered.
(dcmjs as unknown as { log: { setLevel(l: string): void } }).log.setLevel('error');

/** dcmjs with its console noise turned down; import dcmjs through this module only. */
export { dcmjs };

/** A naturalized dataset: DICOM keywords as keys (dcmjs DicomMetaDictionary.naturalizeDataset). */
export type NaturalDataset = Record<string, unknown>;
