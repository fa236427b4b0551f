export {
  FakeKubeApiServer,
  type FakeKubeApiServerOptions,
  type KubeConfigOptions,
  type KubeVerb,
  type RecordedRequest,
} from './fake-kube-apiserver';
export type { FakePod, FakePodPhase, FakePodSpec } from './fake-pod-store';
export type { PortTarget } from './port-forward-session';
export type { ServiceAccountFiles } from './kube-config-files';
