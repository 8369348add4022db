// dcmjs ships no type declarations; the node reaches it only through src/dicom/dcmjs.ts.
declare module 'dcmjs';
