package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// otherVars are INCIDENTBOT_ variables that are not settings.
var otherVars = []string{
	"INCIDENTBOT_CONFIG",        // the default of --config
	"INCIDENTBOT_REQUIRE_TOOLS", // set by CI for the tests; harmless to the binary
}

// serviceLinkRe matches the variables Kubernetes puts in every pod for a
// Service named "incidentbot" (enableServiceLinks is on by default):
// INCIDENTBOT_SERVICE_HOST, INCIDENTBOT_PORT_8080_TCP_ADDR and the like.
// Refusing them would stop the bot from starting in the most common
// deployment.
var serviceLinkRe = regexp.MustCompile(`^INCIDENTBOT_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$`)

// settingVars returns the variable of every key.
func settingVars() []string {
	keys := knownKeys()
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = EnvName(k)
	}
	return out
}

// checkEnvNames reports every INCIDENTBOT_ variable in env that names no
// setting: a typo there would otherwise be ignored silently, leaving the
// file's value or the default in force.
func checkEnvNames(env map[string]string) []error {
	known := settingVars()
	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names)
	var problems []error
	for _, name := range names {
		upper := strings.ToUpper(name)
		if !strings.HasPrefix(upper, EnvPrefix+"_") {
			continue
		}
		if name != upper {
			if slices.Contains(known, upper) {
				problems = append(problems, fmt.Errorf("%s: variable names are case-sensitive (write %s)", name, upper))
			}
			continue
		}
		if slices.Contains(known, name) || slices.Contains(otherVars, name) || serviceLinkRe.MatchString(name) {
			continue
		}
		if s := suggestVar(name, known); s != "" {
			problems = append(problems, fmt.Errorf("%s: no setting has this variable (did you mean %s? otherwise unset it)", name, s))
			continue
		}
		problems = append(problems, fmt.Errorf("%s: no setting has this variable (unset it; a key's variable is INCIDENTBOT_ and the key in upper case with _ for ., e.g. INCIDENTBOT_LOG_LEVEL for log.level; config.example.yaml lists the keys)", name))
	}
	return problems
}

// suggestVar returns the known variable name is most likely a mistake for:
// a close spelling, or the only one that ends like it (a missing section,
// as in INCIDENTBOT_TICK for INCIDENTBOT_SCHEDULER_TICK).
func suggestVar(name string, known []string) string {
	if s := closest(name, known); s != "" {
		return s
	}
	rest := strings.TrimPrefix(name, EnvPrefix)
	var match string
	for _, k := range known {
		if strings.HasSuffix(k, rest) {
			if match != "" {
				return ""
			}
			match = k
		}
	}
	return match
}
