package deploy

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/cluster"
	"github.com/payhsm/payhsm-gw/config"
	"github.com/payhsm/payhsm-gw/gateway"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/registry"
	"github.com/payhsm/payhsm-gw/rest"
	"github.com/payhsm/payhsm-gw/simulator"
)

// --- Dockerfile -----------------------------------------------------------

func readDockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dockerInstructions returns the Dockerfile's instructions with line
// continuations joined and comments dropped.
func dockerInstructions(df string) []string {
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(df))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

func TestDockerfileShape(t *testing.T) {
	ins := dockerInstructions(readDockerfile(t))
	joined := strings.Join(ins, "\n")
	goMod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if goVersion == nil {
		t.Fatal("go.mod has no go directive")
	}
	var froms, users, exposes, cmds []string
	for _, in := range ins {
		word, rest, _ := strings.Cut(in, " ")
		switch strings.ToUpper(word) {
		case "FROM":
			froms = append(froms, rest)
		case "USER":
			users = append(users, rest)
		case "EXPOSE":
			exposes = append(exposes, rest)
		case "CMD":
			cmds = append(cmds, rest)
		}
	}
	if !strings.Contains(joined, "ARG GO_VERSION="+string(goVersion[1])) || len(froms) < 2 || !strings.HasPrefix(froms[0], "golang:${GO_VERSION}") {
		t.Errorf("builder stage must be golang:%s (go.mod); have FROM %v", goVersion[1], froms)
	}
	final := froms[len(froms)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.Contains(final, "nonroot") {
		t.Errorf("final stage must be distroless static nonroot, have %q", final)
	}
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1], "0") || strings.HasPrefix(users[len(users)-1], "root") {
		t.Errorf("final stage must run as a non-root USER, have %v", users)
	}
	if len(exposes) != 1 || exposes[0] != "1500 8080" {
		t.Errorf("EXPOSE: have %v, want [1500 8080]", exposes)
	}
	if len(cmds) != 1 || !strings.Contains(cmds[0], `"serve"`) || !strings.Contains(cmds[0], `"0.0.0.0:1500"`) || !strings.Contains(cmds[0], `"0.0.0.0:8080"`) {
		t.Errorf("CMD must be serve on 0.0.0.0:1500 and 0.0.0.0:8080, have %v", cmds)
	}
}

// buildCommand returns the go build RUN line of the Dockerfile.
func buildCommand(t *testing.T) string {
	t.Helper()
	for _, in := range dockerInstructions(readDockerfile(t)) {
		if strings.HasPrefix(in, "RUN ") && strings.Contains(in, "go build") {
			return strings.TrimPrefix(in, "RUN ")
		}
	}
	t.Fatal("no RUN go build in the Dockerfile")
	return ""
}

// TestDockerfileBuildCommandMakesStaticBinary runs the Dockerfile's own go
// build command (with the output redirected and VERSION set) and checks that
// the result is a static executable with no interpreter and no shared
// libraries. Docker itself does not run here.
func TestDockerfileBuildCommandMakesStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmdline := buildCommand(t)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/payhsm-gw"} {
		if !strings.Contains(cmdline, want) {
			t.Fatalf("build command lacks %s: %s", want, cmdline)
		}
	}
	out := filepath.Join(t.TempDir(), "payhsm-gw")
	cmdline = strings.Replace(cmdline, "-o /out/payhsm-gw", "-o "+out, 1)
	cmdline = strings.ReplaceAll(cmdline, "${VERSION}", "test")
	if !strings.Contains(cmdline, out) {
		t.Fatalf("cannot redirect the build output: %s", cmdline)
	}
	// A cold -trimpath build compiles the etcd client and gRPC too: on a
	// busy 2-core machine that alone took over 5 minutes (2026-12-05).
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", cmdline)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, b)
	}
	if runtime.GOOS != "linux" {
		return
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("binary has an ELF interpreter: not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("binary links shared libraries %v", libs)
	}
	v, err := exec.CommandContext(ctx, out, "version").Output()
	if err != nil || !strings.Contains(string(v), "test") {
		t.Fatalf("built binary's version: %q, %v (want the -X main.version stamp)", v, err)
	}
}

// --- Kubernetes -------------------------------------------------------------

// k8sObject is one manifest document: its kind, and the document node to
// decode the kind-specific parts from.
type k8sObject struct {
	Kind string
	node *yaml.Node
}

// spec decodes the object's spec into v.
func (o k8sObject) spec(v any) error {
	var w struct {
		Spec yaml.Node `yaml:"spec"`
	}
	if err := o.node.Decode(&w); err != nil {
		return err
	}
	return w.Spec.Decode(v)
}

// data returns a ConfigMap's data.
func (o k8sObject) data() (map[string]string, error) {
	var w struct {
		Data map[string]string `yaml:"data"`
	}
	err := o.node.Decode(&w)
	return w.Data, err
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type deploymentSpec struct {
	Replicas int `yaml:"replicas"`
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Strategy struct {
		RollingUpdate struct {
			MaxSurge any `yaml:"maxSurge"`
		} `yaml:"rollingUpdate"`
	} `yaml:"strategy"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec struct {
			SecurityContext struct {
				RunAsNonRoot bool `yaml:"runAsNonRoot"`
				RunAsUser    int  `yaml:"runAsUser"`
			} `yaml:"securityContext"`
			Containers []struct {
				Args  []string `yaml:"args"`
				Ports []struct {
					Name          string `yaml:"name"`
					ContainerPort int    `yaml:"containerPort"`
				} `yaml:"ports"`
				ReadinessProbe probe `yaml:"readinessProbe"`
				LivenessProbe  probe `yaml:"livenessProbe"`
				Resources      struct {
					Requests map[string]string `yaml:"requests"`
					Limits   map[string]string `yaml:"limits"`
				} `yaml:"resources"`
				SecurityContext struct {
					RunAsNonRoot             bool `yaml:"runAsNonRoot"`
					ReadOnlyRootFilesystem   bool `yaml:"readOnlyRootFilesystem"`
					AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
					Capabilities             struct {
						Drop []string `yaml:"drop"`
					} `yaml:"capabilities"`
				} `yaml:"securityContext"`
				VolumeMounts []struct {
					Name      string `yaml:"name"`
					MountPath string `yaml:"mountPath"`
				} `yaml:"volumeMounts"`
			} `yaml:"containers"`
		} `yaml:"spec"`
	} `yaml:"template"`
}

type serviceSpec struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []struct {
		Port       int    `yaml:"port"`
		TargetPort string `yaml:"targetPort"`
	} `yaml:"ports"`
}

type pdbSpec struct {
	MaxUnavailable int `yaml:"maxUnavailable"`
	Selector       struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
}

func loadManifests(t *testing.T) map[string]k8sObject {
	t.Helper()
	return loadManifestFile(t, "kubernetes/payhsm-gw.yaml")
}

func loadManifestFile(t *testing.T, path string) map[string]k8sObject {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]k8sObject{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Kind string `yaml:"kind"`
		}
		if err := n.Decode(&head); err != nil {
			t.Fatal(err)
		}
		o := k8sObject{Kind: head.Kind, node: &n}
		if _, dup := objs[o.Kind]; dup {
			t.Fatalf("two objects of kind %s", o.Kind)
		}
		objs[o.Kind] = o
	}
	return objs
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestKubernetesManifests(t *testing.T) {
	objs := loadManifests(t)
	for _, kind := range []string{"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"} {
		if _, ok := objs[kind]; !ok {
			t.Fatalf("no %s in the manifests", kind)
		}
	}
	var d deploymentSpec
	if err := objs["Deployment"].spec(&d); err != nil {
		t.Fatal(err)
	}
	if d.Replicas < 2 {
		t.Errorf("replicas: have %d, want several", d.Replicas)
	}
	if !sameLabels(d.Selector.MatchLabels, d.Template.Metadata.Labels) {
		t.Errorf("selector %v does not match pod labels %v", d.Selector.MatchLabels, d.Template.Metadata.Labels)
	}
	ps := d.Template.Spec
	if !ps.SecurityContext.RunAsNonRoot || ps.SecurityContext.RunAsUser == 0 {
		t.Error("pod must run as non-root")
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("have %d containers, want 1", len(ps.Containers))
	}
	c := ps.Containers[0]
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes: readiness %q liveness %q, want /readyz and /healthz", c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path)
	}
	sc := c.SecurityContext
	if !sc.RunAsNonRoot || !sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container securityContext: %+v", sc)
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
			t.Errorf("resources: %s request and limit required", r)
		}
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["hostcmd"] != 1500 || ports["http"] != 8080 || c.ReadinessProbe.HTTPGet.Port != "http" {
		t.Errorf("container ports %v: want hostcmd 1500 and http 8080, probes on http", ports)
	}
	var dataMounted bool
	for _, m := range c.VolumeMounts {
		dataMounted = dataMounted || m.MountPath == "/var/lib/payhsm"
	}
	if !dataMounted {
		t.Error("the data directory must be a writable volume under a read-only root")
	}

	var svc serviceSpec
	if err := objs["Service"].spec(&svc); err != nil {
		t.Fatal(err)
	}
	svcPorts := map[int]string{}
	for _, p := range svc.Ports {
		svcPorts[p.Port] = p.TargetPort
	}
	if svcPorts[1500] != "hostcmd" || svcPorts[8080] != "http" || !sameLabels(svc.Selector, d.Template.Metadata.Labels) {
		t.Errorf("service: ports %v selector %v", svcPorts, svc.Selector)
	}
	var pdb pdbSpec
	if err := objs["PodDisruptionBudget"].spec(&pdb); err != nil {
		t.Fatal(err)
	}
	if pdb.MaxUnavailable < 1 || pdb.MaxUnavailable >= d.Replicas || !sameLabels(pdb.Selector.MatchLabels, d.Template.Metadata.Labels) {
		t.Errorf("pdb: %+v", pdb)
	}

	// The ConfigMap is a valid serve configuration, mounted where the
	// container's --config points, and the replicas' licence shares fit.
	cmData, err := objs["ConfigMap"].data()
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := cmData["config.yaml"]
	if !ok {
		t.Fatal("ConfigMap has no config.yaml")
	}
	if strings.Join(c.Args, " ") != "serve --config /etc/payhsm/config.yaml" {
		t.Errorf("container args %v: want serve --config /etc/payhsm/config.yaml", c.Args)
	}
	cfg, err := config.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("ConfigMap config.yaml: %v", err)
	}
	if cfg.Data != "/var/lib/payhsm" || !strings.HasPrefix(cfg.HTTP, "0.0.0.0:8080") || !strings.HasPrefix(cfg.Listen, "0.0.0.0:1500") {
		t.Errorf("config listens on %s / %s with data %s", cfg.Listen, cfg.HTTP, cfg.Data)
	}
	// The REST listener is not loopback: serve starts only with REST
	// authentication configured.
	if cfg.REST.Auth.Disabled || len(cfg.REST.Auth.APIKeys)+len(cfg.REST.Auth.ClientCerts) == 0 {
		t.Errorf("config.yaml: rest.auth has no API keys or client certificates; serve refuses a non-loopback --http without them")
	}
	// Live licence shares on the shared etcd registry, and no static
	// share: a static one would fight the live split (and a surge replica
	// would push the HSMs past their licence).
	if !cfg.Registry.Etcd() || cfg.Membership.Disabled {
		t.Errorf("config.yaml: registry %q, membership disabled %v: want the etcd registry with live shares", cfg.Registry.URL, cfg.Membership.Disabled)
	}
	if strings.Contains(raw, "licence_share:") {
		t.Error("config.yaml sets a static licence_share; the replicas split the licences live")
	}
	if d.Strategy.RollingUpdate.MaxSurge == nil {
		t.Error("maxSurge unset")
	}
	if cfg.Registry.TLS == nil || cfg.Registry.TLS.Cert == "" || cfg.Registry.TLS.Key == "" || cfg.Registry.TLS.CA == "" {
		t.Error("config.yaml: registry.tls needs ca, cert and key: etcd checks client certificates")
	} else {
		for _, f := range []string{cfg.Registry.TLS.CA, cfg.Registry.TLS.Cert, cfg.Registry.TLS.Key} {
			if !mountedUnder(c.VolumeMounts, f) {
				t.Errorf("registry.tls file %s is on no volume of the container", f)
			}
		}
	}
}

func mountedUnder(mounts []struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
}, file string) bool {
	for _, m := range mounts {
		if strings.HasPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/") {
			return true
		}
	}
	return false
}

type statefulSetSpec struct {
	ServiceName string `yaml:"serviceName"`
	Replicas    int    `yaml:"replicas"`
	Selector    struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec struct {
			Containers []struct {
				Args []string `yaml:"args"`
			} `yaml:"containers"`
		} `yaml:"spec"`
	} `yaml:"template"`
	VolumeClaimTemplates []any `yaml:"volumeClaimTemplates"`
}

// TestEtcdManifests checks etcd.yaml, the etcd the Deployment's registry
// names: an odd number of members with a volume each, every member in the
// initial cluster, client certificates required, and the gateway's
// registry.url naming exactly those members.
func TestEtcdManifests(t *testing.T) {
	objs := loadManifestFile(t, "kubernetes/etcd.yaml")
	for _, kind := range []string{"Service", "StatefulSet", "PodDisruptionBudget"} {
		if _, ok := objs[kind]; !ok {
			t.Fatalf("no %s in etcd.yaml", kind)
		}
	}
	var svc struct {
		ClusterIP string            `yaml:"clusterIP"`
		Selector  map[string]string `yaml:"selector"`
	}
	if err := objs["Service"].spec(&svc); err != nil {
		t.Fatal(err)
	}
	var ss statefulSetSpec
	if err := objs["StatefulSet"].spec(&ss); err != nil {
		t.Fatal(err)
	}
	if svc.ClusterIP != "None" || !sameLabels(svc.Selector, ss.Template.Metadata.Labels) ||
		!sameLabels(ss.Selector.MatchLabels, ss.Template.Metadata.Labels) {
		t.Errorf("etcd Service must be headless and select the StatefulSet's pods: %+v", svc)
	}
	if ss.Replicas < 3 || ss.Replicas%2 == 0 {
		t.Errorf("etcd replicas %d: want an odd number, at least 3 (a quorum survives one loss)", ss.Replicas)
	}
	if len(ss.VolumeClaimTemplates) == 0 {
		t.Error("etcd members need a volume each: nothing acknowledged may be lost on a restart")
	}
	var pdb pdbSpec
	if err := objs["PodDisruptionBudget"].spec(&pdb); err != nil {
		t.Fatal(err)
	}
	if pdb.MaxUnavailable < 1 || pdb.MaxUnavailable > (ss.Replicas-1)/2 {
		t.Errorf("etcd PDB maxUnavailable %d breaks the quorum of %d", pdb.MaxUnavailable, ss.Replicas)
	}
	if len(ss.Template.Spec.Containers) != 1 {
		t.Fatal("want one etcd container")
	}
	args := map[string]string{}
	for _, a := range ss.Template.Spec.Containers[0].Args {
		k, v, _ := strings.Cut(a, "=")
		args[k] = v
	}
	if _, ok := args["--client-cert-auth"]; !ok || args["--trusted-ca-file"] == "" {
		t.Error("etcd must require client certificates (--client-cert-auth, --trusted-ca-file)")
	}
	var want []string
	for i := range ss.Replicas {
		member := fmt.Sprintf("%s-%d", "payhsm-etcd", i)
		want = append(want, member+"."+ss.ServiceName+":2379")
		peer := member + "=https://" + member + "." + ss.ServiceName + ":2380"
		if !strings.Contains(args["--initial-cluster"], peer) {
			t.Errorf("--initial-cluster lacks %s", peer)
		}
	}

	gw := loadManifests(t)
	cmData, err := gw["ConfigMap"].data()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(cmData["config.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	eps, err := registry.ParseEtcdURL(cfg.Registry.URL)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(eps, ",") != strings.Join(want, ",") {
		t.Errorf("the gateway's registry.url names %v, want the etcd members %v", eps, want)
	}
}

// --- Grafana ------------------------------------------------------------------

// recorder is a prometheus.Registerer that notes the name of every metric
// registered through it.
type recorder struct {
	names map[string]bool
}

var fqNameRE = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *recorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqNameRE.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		r.Register(c)
	}
}

func (r *recorder) Unregister(prometheus.Collector) bool { return true }

// registeredMetrics builds the gateway's parts (an HSM pool on a simulator,
// the host-command front, the REST API, the audit log) with a recording
// Registerer and returns every metric name they register.
func registeredMetrics(t *testing.T) map[string]bool {
	t.Helper()
	rec := &recorder{names: map[string]bool{}}
	sim, err := simulator.Start(simulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Config{
		HSMs:       []pool.HSMConfig{{Name: "sim", Addr: sim.Addr()}},
		Registerer: rec, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	gw, err := gateway.Start(gateway.Config{Addr: "127.0.0.1:0", Registerer: rec}, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	reg, err := registry.Open(t.TempDir(), registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	if _, err := audit.New(io.Discard, audit.Options{Registerer: rec}); err != nil {
		t.Fatal(err)
	}
	if _, err := rest.New(rest.Config{Executor: p, Registry: reg, Registerer: rec, Auth: rest.Auth{Disabled: true}}); err != nil {
		t.Fatal(err)
	}
	// Membership: a client to an etcd that is not there is enough to
	// register the metrics (Join does not wait for etcd).
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:1"}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	m, err := cluster.Join(cluster.Options{Client: cli, Prefix: "/t/", Name: "t", OnShare: func(float64) {}, Registerer: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := cluster.RegisterShareMetric(rec, p.LicenceShare); err != nil {
		t.Fatal(err)
	}
	return rec.names
}

var metricRE = regexp.MustCompile(`\bpayhsm_[a-z0-9_]+`)

func TestGrafanaDashboardQueriesRegisteredMetrics(t *testing.T) {
	b, err := os.ReadFile("grafana/payhsm-gw.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard is not valid JSON: %v", err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Fatal("dashboard needs a title and a uid")
	}
	queried := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range metricRE.FindAllString(tg.Expr, -1) {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, ok := strings.CutSuffix(m, suffix); ok && strings.HasSuffix(base, "_seconds") {
						m = base
					}
				}
				queried[m] = true
			}
		}
	}
	if len(queried) == 0 {
		t.Fatal("the dashboard queries no payhsm_ metric")
	}
	have := registeredMetrics(t)
	var missing []string
	for m := range queried {
		if !have[m] {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("the dashboard queries metrics the code does not register: %v", missing)
	}
	// Every REST, membership and share metric should be on the dashboard.
	for m := range have {
		if (strings.HasPrefix(m, "payhsm_rest_") || strings.HasPrefix(m, "payhsm_cluster_") || m == "payhsm_licence_share") && !queried[m] {
			t.Errorf("metric %s is not on the dashboard", m)
		}
	}
}
