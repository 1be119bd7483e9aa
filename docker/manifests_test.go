// Package docker_test checks the deployment files beside it. No Docker
// engine or cluster runs where the tests do, so the files are held to
// what can be read: every YAML document parses, the facts operators rely
// on (replicas, probes, non-root, the disruption budget, secrets from
// Secrets) are there, and the configurations they mount load.
package docker_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/releasebot/releasebot/config"
)

// documents decodes every YAML document of file.
func documents(t *testing.T, file string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", file, len(docs)+1, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// dig walks maps by key and lists by index; nil when the path is absent.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestEveryYAMLFileParses(t *testing.T) {
	files, err := filepath.Glob("*.y*ml")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, want := range []string{"docker-compose.yml", "kubernetes.yaml", "releasebot.yaml"} {
		if !contains(files, want) {
			t.Errorf("docker/%s is missing", want)
		}
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			if docs := documents(t, f); len(docs) == 0 {
				t.Errorf("%s holds no YAML document", f)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// kubernetes returns the documents of kubernetes.yaml by kind and name.
func kubernetes(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, d := range documents(t, "kubernetes.yaml") {
		kind, _ := d["kind"].(string)
		name, _ := dig(d, "metadata", "name").(string)
		if kind == "" || name == "" || d["apiVersion"] == nil {
			t.Errorf("a document lacks apiVersion, kind or metadata.name: %v", d)
			continue
		}
		key := kind + "/" + name
		if _, dup := out[key]; dup {
			t.Errorf("%s appears twice", key)
		}
		out[key] = d
	}
	return out
}

func TestKubernetes(t *testing.T) {
	objs := kubernetes(t)
	dep := objs["Deployment/releasebot"]
	if dep == nil {
		t.Fatalf("no Deployment/releasebot among %v", keys(objs))
	}
	pod := dig(dep, "spec", "template", "spec")
	podLabels := dig(dep, "spec", "template", "metadata", "labels").(map[string]any)
	c := dig(pod, "containers", 0)

	t.Run("three replicas", func(t *testing.T) {
		if r := dig(dep, "spec", "replicas"); r != 3 {
			t.Errorf("replicas %v, want 3", r)
		}
		if !matches(dig(dep, "spec", "selector", "matchLabels"), podLabels) {
			t.Error("the Deployment's selector does not match its pods")
		}
	})
	t.Run("probes", func(t *testing.T) {
		for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
			if got := dig(c, probe, "httpGet", "path"); got != path {
				t.Errorf("%s path %v, want %s", probe, got, path)
			}
			if port := dig(c, probe, "httpGet", "port"); port != "http" && port != 8080 {
				t.Errorf("%s port %v, want the container's port", probe, port)
			}
		}
		if dig(c, "ports", 0, "containerPort") != 8080 || dig(c, "ports", 0, "name") != "http" {
			t.Errorf("container port %v, want http 8080", dig(c, "ports"))
		}
	})
	t.Run("non-root, read-only", func(t *testing.T) {
		for what, sc := range map[string]any{"pod": dig(pod, "securityContext"), "container": dig(c, "securityContext")} {
			if dig(sc, "runAsNonRoot") != true || dig(sc, "runAsUser") != 65532 {
				t.Errorf("%s securityContext %v, want runAsNonRoot and uid 65532", what, sc)
			}
		}
		sc := dig(c, "securityContext")
		if dig(sc, "readOnlyRootFilesystem") != true || dig(sc, "allowPrivilegeEscalation") != false {
			t.Errorf("container securityContext %v, want a read-only root and no privilege escalation", sc)
		}
		if drop := dig(sc, "capabilities", "drop", 0); drop != "ALL" {
			t.Errorf("capabilities drop %v, want ALL", drop)
		}
	})
	t.Run("resources", func(t *testing.T) {
		for _, k := range []string{"requests", "limits"} {
			if dig(c, "resources", k, "memory") == nil {
				t.Errorf("no memory %s", k)
			}
		}
		if dig(c, "resources", "requests", "cpu") == nil {
			t.Error("no cpu request")
		}
	})
	t.Run("image", func(t *testing.T) {
		if img, _ := dig(c, "image").(string); img == "" || hasRegistryHost(img) {
			t.Errorf("image %q: want a plain image name without a registry host", img)
		}
	})
	t.Run("secrets from Secrets", func(t *testing.T) {
		env := map[string]any{}
		for _, e := range dig(c, "env").([]any) {
			env[dig(e, "name").(string)] = e
		}
		ref := dig(env["DATABASE_URL"], "valueFrom", "secretKeyRef")
		if ref == nil || dig(ref, "name") != "releasebot-database" || dig(ref, "key") != "DATABASE_URL" {
			t.Errorf("DATABASE_URL %v, want it from Secret releasebot-database", env["DATABASE_URL"])
		}
		if objs["Secret/releasebot-database"] == nil || dig(objs["Secret/releasebot-database"], "stringData", "DATABASE_URL") == nil {
			t.Error("Secret/releasebot-database lacks DATABASE_URL")
		}
		if name := dig(c, "envFrom", 0, "secretRef", "name"); name != "releasebot-secrets" {
			t.Errorf("envFrom %v, want the Secret releasebot-secrets", dig(c, "envFrom"))
		}
		secret := dig(objs["Secret/releasebot-secrets"], "stringData")
		for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "RELEASEBOT_DASHBOARD_TOKEN"} {
			if dig(secret, k) == nil {
				t.Errorf("Secret/releasebot-secrets lacks %s", k)
			}
		}
		for k, e := range env {
			if v, _ := dig(e, "value").(string); strings.Contains(strings.ToLower(k), "secret") || strings.Contains(strings.ToLower(k), "token") || strings.HasPrefix(v, "xox") {
				t.Errorf("%s is set in plain text in the Deployment; take it from a Secret", k)
			}
		}
	})
	t.Run("configuration", func(t *testing.T) {
		if dig(env(c), "RELEASEBOT_CONFIG") != "/etc/releasebot/releasebot.yaml" {
			t.Errorf("RELEASEBOT_CONFIG %v", dig(env(c), "RELEASEBOT_CONFIG"))
		}
		var mounted bool
		for _, m := range dig(c, "volumeMounts").([]any) {
			if dig(m, "mountPath") == "/etc/releasebot" && dig(m, "readOnly") == true {
				mounted = true
			}
		}
		if !mounted {
			t.Error("the configuration is not mounted read-only at /etc/releasebot")
		}
		yml, _ := dig(objs["ConfigMap/releasebot-config"], "data", "releasebot.yaml").(string)
		if yml == "" {
			t.Fatal("ConfigMap/releasebot-config has no releasebot.yaml")
		}
		// Every ${VAR} of the configuration comes from the Secret.
		secret := dig(objs["Secret/releasebot-secrets"], "stringData").(map[string]any)
		for _, v := range regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(yml, -1) {
			if _, ok := secret[v[1]]; !ok {
				t.Errorf("releasebot.yaml uses ${%s}, which Secret/releasebot-secrets does not hold", v[1])
			}
		}
		loadConfig(t, "ConfigMap releasebot.yaml", []byte(yml))
	})
	t.Run("service", func(t *testing.T) {
		svc := objs["Service/releasebot"]
		if svc == nil {
			t.Fatal("no Service/releasebot")
		}
		if !matches(dig(svc, "spec", "selector"), podLabels) {
			t.Error("the Service's selector does not match the pods")
		}
		if tp := dig(svc, "spec", "ports", 0, "targetPort"); tp != "http" && tp != 8080 {
			t.Errorf("targetPort %v, want the container's port", tp)
		}
	})
	t.Run("disruption budget", func(t *testing.T) {
		pdb := objs["PodDisruptionBudget/releasebot"]
		if pdb == nil {
			t.Fatal("no PodDisruptionBudget/releasebot")
		}
		if dig(pdb, "apiVersion") != "policy/v1" || dig(pdb, "spec", "minAvailable") != 2 {
			t.Errorf("PodDisruptionBudget %v, want policy/v1 with minAvailable 2", pdb["spec"])
		}
		if !matches(dig(pdb, "spec", "selector", "matchLabels"), podLabels) {
			t.Error("the PodDisruptionBudget's selector does not match the pods")
		}
	})
}

// env maps a container's plain env values by name.
func env(c any) map[string]any {
	out := map[string]any{}
	for _, e := range dig(c, "env").([]any) {
		out[dig(e, "name").(string)] = dig(e, "value")
	}
	return out
}

// matches reports whether every label of selector is on labels.
func matches(selector any, labels map[string]any) bool {
	sel, ok := selector.(map[string]any)
	if !ok || len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// loadConfig parses a releasebot.yaml with made-up values for its ${VAR}s,
// as `releasebot config check` would.
func loadConfig(t *testing.T, what string, data []byte) *config.Config {
	t.Helper()
	fake := func(name string) string { return "test-value-of-" + strings.ToLower(name) + "-0123456789abcdef" }
	cfg, err := config.Parse(what, data, fake)
	if err != nil {
		t.Fatalf("%s does not load: %v", what, err)
	}
	return cfg
}

func TestCompose(t *testing.T) {
	docs := documents(t, "docker-compose.yml")
	services := dig(docs[0], "services")
	pg, bot := dig(services, "postgres"), dig(services, "releasebot")
	if pg == nil || bot == nil {
		t.Fatalf("services %v, want postgres and releasebot", services)
	}
	if img, _ := dig(pg, "image").(string); !strings.HasPrefix(img, "postgres:") || hasRegistryHost(img) {
		t.Errorf("postgres image %q", img)
	}
	if test, _ := dig(pg, "healthcheck", "test").([]any); len(test) == 0 || !strings.Contains(strings.Join(anyStrings(test), " "), "pg_isready") {
		t.Errorf("postgres healthcheck %v, want pg_isready", dig(pg, "healthcheck"))
	}
	if cond := dig(bot, "depends_on", "postgres", "condition"); cond != "service_healthy" {
		t.Errorf("releasebot depends on postgres with %v, want service_healthy", cond)
	}
	if dig(bot, "build", "dockerfile") != "docker/Dockerfile" || dig(bot, "build", "context") != ".." {
		t.Errorf("build %v, want docker/Dockerfile from the repository root", dig(bot, "build"))
	}
	env, _ := dig(bot, "environment").(map[string]any)
	for _, k := range []string{"DATABASE_URL", "RELEASEBOT_CONFIG", "RELEASEBOT_ADDR", "RELEASEBOT_PUBLIC_URL",
		"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "RELEASEBOT_DASHBOARD_TOKEN"} {
		if _, ok := env[k]; !ok {
			t.Errorf("releasebot's environment lacks %s", k)
		}
	}
	if u, _ := env["DATABASE_URL"].(string); !strings.HasPrefix(u, "postgres://") || !strings.Contains(u, "@postgres:5432/") {
		t.Errorf("DATABASE_URL %q, want the postgres service", u)
	}
	if dig(bot, "user") != "65532:65532" || dig(bot, "read_only") != true {
		t.Errorf("releasebot runs as %v, read_only %v; want 65532:65532 and a read-only root", dig(bot, "user"), dig(bot, "read_only"))
	}
	// The mounted configuration is the one beside the compose file, and it loads.
	var mount string
	for _, v := range dig(bot, "volumes").([]any) {
		if s, _ := v.(string); strings.HasSuffix(s, ":/etc/releasebot/releasebot.yaml:ro") {
			mount = s
		}
	}
	if mount == "" {
		t.Fatalf("volumes %v, want releasebot.yaml mounted read-only at /etc/releasebot", dig(bot, "volumes"))
	}
	if !strings.Contains(mount, "./releasebot.yaml") {
		t.Errorf("mount %q, want ./releasebot.yaml by default", mount)
	}
	data, err := os.ReadFile("releasebot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	loadConfig(t, "docker/releasebot.yaml", data)
}

func anyStrings(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i], _ = v.(string)
	}
	return out
}

// hasRegistryHost reports whether an image reference names a registry
// (its first path part holds a dot or a port, or is localhost).
func hasRegistryHost(image string) bool {
	first, _, ok := strings.Cut(image, "/")
	return ok && (strings.ContainsAny(first, ".:") || first == "localhost")
}

// TestDockerfile reads the Dockerfile's instructions.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		froms []string
		final []string // instructions of the last stage
		build []string
	)
	sc := bufio.NewScanner(f)
	var line string
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "#") || text == "" {
			continue
		}
		line += strings.TrimSuffix(text, "\\") + " "
		if strings.HasSuffix(text, "\\") {
			continue
		}
		instr := strings.TrimSpace(line)
		line = ""
		if fields := strings.Fields(instr); strings.EqualFold(fields[0], "FROM") {
			froms = append(froms, fields[1])
			final = nil
		}
		if len(froms) == 1 {
			build = append(build, instr)
		}
		final = append(final, instr)
	}
	if len(froms) < 2 {
		t.Fatalf("FROM %v: want a multi-stage build", froms)
	}
	for _, img := range froms {
		if hasRegistryHost(img) {
			t.Errorf("FROM %s names a registry host", img)
		}
	}
	if froms[0] != "golang:1.26-bookworm" {
		t.Errorf("build stage FROM %s, want golang:1.26-bookworm", froms[0])
	}
	if froms[len(froms)-1] != "scratch" {
		t.Errorf("final stage FROM %s, want scratch", froms[len(froms)-1])
	}
	joined := strings.Join(build, "\n")
	for _, want := range []string{"CGO_ENABLED=0 go build", "-trimpath", "-o /out/releasebot .",
		"-X main.version=${VERSION} -X main.commit=${COMMIT}"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the build stage lacks %q", want)
		}
	}
	// Modules and the build cache live in BuildKit cache mounts, on every
	// RUN that needs them: a rebuild reuses them, the image never holds them.
	for _, instr := range build {
		if !strings.Contains(instr, "go build") && !strings.Contains(instr, "go mod download") {
			continue
		}
		for _, want := range []string{"--mount=type=cache,target=/go/pkg/mod", "--mount=type=cache,target=/root/.cache/go-build"} {
			if strings.Contains(instr, "go mod download") && strings.Contains(want, "go-build") {
				continue
			}
			if !strings.HasPrefix(instr, "RUN --mount") || !strings.Contains(instr, want) {
				t.Errorf("%q lacks %s", instr, want)
			}
		}
	}
	finalText := strings.Join(final, "\n")
	for _, want := range []string{
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
		"COPY --from=build --chown=65532:65532 /out/data /data",
		"USER 65532:65532", `VOLUME ["/data"]`, "EXPOSE 8080",
		`ENTRYPOINT ["/releasebot"]`, `CMD ["serve"]`,
		// OCI labels from build arguments, declared again in this stage
		// (an ARG ends with its stage; undeclared, the labels would be empty).
		"ARG VERSION=", "ARG COMMIT=", "ARG SOURCE=",
		`org.opencontainers.image.version="${VERSION}"`,
		`org.opencontainers.image.revision="${COMMIT}"`,
		`org.opencontainers.image.source="${SOURCE}"`,
	} {
		if !strings.Contains(finalText, want) {
			t.Errorf("the final stage lacks %q", want)
		}
	}
	if _, err := os.Stat("Dockerfile.dockerignore"); err != nil {
		t.Errorf("no Dockerfile.dockerignore: the context would carry .git and databases: %v", err)
	}
}
