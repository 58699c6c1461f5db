// compose-check validates compose.yaml with compose-go, the loader docker compose itself uses:
// YAML anchors and merge keys, variable interpolation, the compose-spec schema, and references
// between services, volumes and secrets. Then it checks that every file compose.yaml mounts exists,
// for every LB_ALGORITHM that nginx/ has a config for. No Docker engine needed.
//
//	go -C .ci/compose-check build -o /tmp/compose-check . && /tmp/compose-check   (from the repository root)
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	algorithms, err := filepath.Glob("nginx/*.conf")
	if err != nil || len(algorithms) == 0 {
		fail("run it from the repository root: no nginx/*.conf here")
	}
	var problems []string
	checked := 0
	for _, conf := range algorithms {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		if name == "nginx" || name == "response-headers" { // the shared config and the file it includes
			continue
		}
		project, err := load([]string{"LB_ALGORITHM=" + name})
		if err != nil {
			fail(fmt.Sprintf("compose.yaml (LB_ALGORITHM=%s): %v", name, err))
		}
		problems = append(problems, missingFiles(project, name)...)
		checked++
	}
	// The default, with LB_ALGORITHM unset, must be a config that exists too.
	project, err := load(nil)
	if err != nil {
		fail(fmt.Sprintf("compose.yaml: %v", err))
	}
	problems = append(problems, missingFiles(project, "(default)")...)
	problems = append(problems, expectations(project)...)
	problems = append(problems, dockerfileCopiesEveryPom()...)
	if len(problems) > 0 {
		sort.Strings(problems)
		fail("compose.yaml:\n  " + strings.Join(problems, "\n  "))
	}
	names := project.ServiceNames()
	sort.Strings(names)
	fmt.Printf("compose.yaml is valid for %d algorithms; services: %s; every mounted file exists; the Dockerfile copies every module's pom\n",
		checked, strings.Join(names, ", "))
}

func load(env []string) (*types.Project, error) {
	options, err := cli.NewProjectOptions([]string{"compose.yaml"},
		cli.WithEnv(append(env, "PATH="+os.Getenv("PATH"))),
		cli.WithProfiles([]string{"*"}),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, err
	}
	return cli.ProjectFromOptions(context.Background(), options)
}

func missingFiles(project *types.Project, algorithm string) []string {
	var problems []string
	for _, service := range project.Services {
		for _, volume := range service.Volumes {
			if volume.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(volume.Source); err != nil && !writableOutput(volume) {
				problems = append(problems, fmt.Sprintf("%s (LB_ALGORITHM=%s) mounts %s, which does not exist",
					service.Name, algorithm, volume.Source))
			}
		}
		if service.Build != nil {
			dockerfile := filepath.Join(service.Build.Context, service.Build.Dockerfile)
			if _, err := os.Stat(dockerfile); err != nil {
				problems = append(problems, fmt.Sprintf("%s builds from %s, which does not exist", service.Name, dockerfile))
			}
		}
	}
	for name, secret := range project.Secrets {
		if _, err := os.Stat(secret.File); secret.File != "" && err != nil {
			problems = append(problems, fmt.Sprintf("secret %s reads %s, which does not exist", name, secret.File))
		}
	}
	return problems
}

// writableOutput: a read-write bind mount of an output folder (k6/out) may be created at run time.
func writableOutput(volume types.ServiceVolumeConfig) bool {
	return !volume.ReadOnly && strings.HasSuffix(volume.Source, string(filepath.Separator)+"out")
}

// expectations: what the README and docs/configuration.md#composeyaml promise about compose.yaml.
func expectations(project *types.Project) []string {
	var problems []string
	// Images the project builds, each once: hits-1 builds the replicas' image, the others run it.
	built := map[string]string{}
	for _, service := range project.Services {
		if service.Build != nil {
			if other, twice := built[service.Image]; twice {
				problems = append(problems, fmt.Sprintf("%s and %s both build %s: build it once", other, service.Name, service.Image))
			}
			built[service.Image] = service.Name
		}
	}
	for _, service := range project.Services {
		if len(service.Ports) > 0 && service.Name != "nginx" {
			problems = append(problems, service.Name+" publishes a port: only nginx should")
		}
		for _, port := range service.Ports {
			if port.HostIP != "127.0.0.1" {
				problems = append(problems, fmt.Sprintf("%s publishes port %s on %q: the default must be 127.0.0.1 (LB_BIND)",
					service.Name, port.Published, port.HostIP))
			}
		}
		if _, runsBuilt := built[service.Image]; service.Build == nil && runsBuilt && service.PullPolicy != types.PullPolicyNever {
			problems = append(problems, service.Name+" runs the built "+service.Image+" but may pull it: pull_policy: never")
		}
		// The image's HEALTHCHECK covers what the project builds. The load-test profile's services (k6
		// and its one-shot helper) run to completion: no healthcheck.
		if _, runsBuilt := built[service.Image]; !slices.Contains(service.Profiles, "loadtest") && service.HealthCheck == nil && !runsBuilt {
			problems = append(problems, service.Name+" has no healthcheck")
		}
		problems = append(problems, redisLogin(service)...)
		if strings.HasSuffix(service.Image, ":latest") || (service.Build == nil && !strings.Contains(service.Image, ":")) {
			problems = append(problems, service.Name+" uses an unpinned image: "+service.Image)
		}
	}
	return problems
}

// requirepass: a requirepass line of the config redis-server reads, with a value.
var requirepass = regexp.MustCompile(`(?m)^\s*requirepass \S`)

// redisLogin: Redis requires a password, its healthcheck logs in, and every client reads the password
// from a secret it mounts (REDIS_PASSWORD_FILE).
func redisLogin(service types.ServiceConfig) []string {
	var problems []string
	if service.Name == "redis" {
		if !requirepass.MatchString(strings.Join(service.Command, "\n")) {
			problems = append(problems, "redis requires no password (requirepass): any container on the network could use it")
		}
		if service.HealthCheck == nil || !strings.Contains(strings.Join(service.HealthCheck.Test, " "), "REDISCLI_AUTH") {
			problems = append(problems, "redis's healthcheck does not log in (REDISCLI_AUTH)")
		}
	}
	if _, client := service.Environment["REDIS_URL"]; !client {
		return problems
	}
	file := service.Environment["REDIS_PASSWORD_FILE"]
	mounted := false
	for _, secret := range service.Secrets {
		target := secret.Target
		if target == "" {
			target = secret.Source
		}
		mounted = mounted || (file != nil && (*file == target || *file == "/run/secrets/"+target))
	}
	if !mounted {
		problems = append(problems, service.Name+" has REDIS_URL but no REDIS_PASSWORD_FILE naming a secret it mounts")
	}
	return problems
}

// moduleElement: one <module>NAME</module> of the parent pom.
var moduleElement = regexp.MustCompile(`<module>\s*([\w.-]+)\s*</module>`)

// dockerfileCopiesEveryPom: the image builds one module, but Maven reads every module's pom.
func dockerfileCopiesEveryPom() []string {
	pom, err1 := os.ReadFile("pom.xml")
	dockerfile, err2 := os.ReadFile("hits-service/Dockerfile")
	if err1 != nil || err2 != nil {
		return []string{"cannot read pom.xml or hits-service/Dockerfile"}
	}
	var problems []string
	for _, match := range moduleElement.FindAllStringSubmatch(string(pom), -1) {
		module := match[1]
		if !strings.Contains(string(dockerfile), "COPY "+module+"/pom.xml") {
			problems = append(problems, "hits-service/Dockerfile does not COPY "+module+"/pom.xml: the image build fails")
		}
	}
	return problems
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "compose-check: "+message)
	os.Exit(1)
}
