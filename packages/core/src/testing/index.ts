export { FakeContainerRuntime, type FakeContainerSeed } from './fake-container-runtime';
export { FixedClock } from './fixed-clock';
export { RecordingPublisher } from './recording-publisher';
export { errorCodeOf } from './error-code-of';
