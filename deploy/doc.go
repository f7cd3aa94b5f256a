// Package deploy holds no code: it is the home of the deployment artefacts —
// the Kubernetes manifests (kubernetes/payhsm-gw.yaml: ConfigMap, Deployment,
// Service, PodDisruptionBudget) and the Grafana dashboard
// (grafana/payhsm-gw.json) — and of the tests that keep them, and the
// repository's Dockerfile, true to the code: the ConfigMap is a valid serve
// configuration whose licence shares fit the replica count, the probes hit
// the gateway's health routes, every metric the dashboard queries is one the
// code registers, and the Dockerfile's build command makes a static binary.
package deploy
