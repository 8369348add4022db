import type { ModelTask } from '../../pipeline/types';
import { classificationTask } from './classificationTask';
import { detectionTask } from './detectionTask';
import { imageToImageTask } from './imageToImageTask';
import { segmentationTask } from './segmentationTask';
import type { Task } from './taskTypes';

/** Tasks by manifest `task` key. */
export const TASKS: Readonly<Partial<Record<ModelTask, Task>>> = Object.freeze({
  classification: classificationTask,
  segmentation: segmentationTask,
  'image-to-image': imageToImageTask,
  detection: detectionTask,
});
