{{/*
Chart name, full name and labels.
*/}}
{{- define "connector-runner.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "connector-runner.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "connector-runner.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every resource that are not selector labels. */}}
{{- define "connector-runner.baseLabels" -}}
helm.sh/chart: {{ include "connector-runner.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: connector-runner
{{- end -}}

{{/* Labels of release-wide resources (no component). */}}
{{- define "connector-runner.labels" -}}
{{ include "connector-runner.baseLabels" . }}
app.kubernetes.io/name: {{ include "connector-runner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one workload: (dict "root" $ "w" $workload). */}}
{{- define "connector-runner.selectorLabels" -}}
app.kubernetes.io/name: {{ include "connector-runner.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .w.service }}
{{- if .w.sinkId }}
connector-runner/sink: {{ .w.sinkId }}
{{- end }}
{{- end -}}

{{/* All labels of one workload's resources: (dict "root" $ "w" $workload). */}}
{{- define "connector-runner.workloadLabels" -}}
{{ include "connector-runner.baseLabels" .root }}
{{ include "connector-runner.selectorLabels" . }}
{{- end -}}

{{- define "connector-runner.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "connector-runner.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "connector-runner.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}

{{/*
The consumer groups and topics each service reads (logical names, as in
services/<name>/src/main.ts); the KEDA triggers are built from them. The sink's
group is `sink-<id>`, added per sink. ingest (a per-instance group on the
compacted config topic) and api (no consumer) have nothing to scale on.
*/}}
{{- define "connector-runner.consumers" -}}
unification:
  - {group: unification, topic: ingest.raw-records.v1}
resolution:
  - {group: resolution, topic: world.events.v1}
review:
  - {group: review, topic: world.entity-events.v1}
projection:
  - {group: projection, topic: world.entity-events.v1}
  - {group: projection, topic: review.verdicts.v1}
dispatch:
  - {group: dispatch, topic: entity.state.v1}
{{- end -}}

{{/*
One layer of settings over another: (dict "base" map "over" map). Objects in
`mergedKeys` are merged key by key; extraEnv and extraEnvFrom are appended;
everything else in "over" replaces the base value.
*/}}
{{- define "connector-runner.layer" -}}
{{- $out := deepCopy .base -}}
{{- $mergedKeys := list "pdb" "hpa" "keda" "livenessProbe" "readinessProbe" "env" "podAnnotations" "podLabels" -}}
{{- range $k, $v := .over -}}
{{- if and (has $k $mergedKeys) (kindIs "map" $v) (kindIs "map" (get $out $k)) -}}
{{- $m := deepCopy (get $out $k) -}}
{{- range $k2, $v2 := $v -}}{{- $_ := set $m $k2 $v2 -}}{{- end -}}
{{- $_ := set $out $k $m -}}
{{- else if and (has $k (list "extraEnv" "extraEnvFrom")) (kindIs "slice" $v) -}}
{{- $_ := set $out $k (concat (get $out $k | default list) $v) -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
Every workload of the release with its effective settings, as YAML
`{workloads: [...]}`. Each entry: key (unique), service, name (resource name),
sinkId, consumers [{group, topic}] (names on the wire, prefix included),
serviceEnv (the service's own EnvVars) and every key of `common`.
*/}}
{{- define "connector-runner.workloads" -}}
{{- $root := . -}}
{{- $fullname := include "connector-runner.fullname" . -}}
{{- $prefix := .Values.kafka.topicPrefix | default "" | toString -}}
{{- $consumers := include "connector-runner.consumers" . | fromYaml -}}
{{- $out := list -}}
{{- range $svc := list "ingest" "unification" "resolution" "review" "projection" "dispatch" "api" -}}
{{- $s := get $root.Values.services $svc | default dict -}}
{{- if $s.enabled -}}
{{- $w := include "connector-runner.layer" (dict "base" $root.Values.common "over" (omit $s "enabled" "port" "service" "auth")) | fromYaml -}}
{{- $groups := list -}}
{{- range $c := (get $consumers $svc | default list) -}}
{{- $groups = append $groups (dict "group" (printf "%s%s" $prefix $c.group) "topic" (printf "%s%s" $prefix $c.topic)) -}}
{{- end -}}
{{- $env := list -}}
{{- if eq $svc "api" -}}
{{- $env = list (dict "name" "API_PORT" "value" ($s.port | default 8080 | toString)) (dict "name" "API_HOST" "value" "0.0.0.0") -}}
{{- $auth := $s.auth | default dict -}}
{{- if not $auth.jwksUrl -}}{{- fail "services.api.auth.jwksUrl is required: the api verifies every caller's JWT against this JWKS" -}}{{- end -}}
{{- $env = append $env (dict "name" "API_JWKS_URL" "value" $auth.jwksUrl) -}}
{{- if $auth.issuer -}}{{- $env = append $env (dict "name" "API_JWT_ISSUER" "value" $auth.issuer) -}}{{- end -}}
{{- if $auth.audience -}}{{- $env = append $env (dict "name" "API_JWT_AUDIENCE" "value" $auth.audience) -}}{{- end -}}
{{- end -}}
{{- $name := printf "%s-%s" $fullname $svc -}}
{{- if gt (len $name) 63 -}}{{- fail (printf "resource name %q is longer than 63 characters: shorten the release name or set fullnameOverride" $name) -}}{{- end -}}
{{- $_ := set $w "key" $svc -}}
{{- $_ := set $w "service" $svc -}}
{{- $_ := set $w "name" $name -}}
{{- $_ := set $w "sinkId" "" -}}
{{- $_ := set $w "consumers" $groups -}}
{{- $_ := set $w "serviceEnv" $env -}}
{{- $out = append $out $w -}}
{{- end -}}
{{- end -}}
{{- if $root.Values.services.sink.enabled -}}
{{- $sinkBase := include "connector-runner.layer" (dict "base" $root.Values.common "over" (omit $root.Values.services.sink "enabled")) | fromYaml -}}
{{- $seen := dict -}}
{{- range $i, $sink := $root.Values.sinks -}}
{{- if not (kindIs "map" $sink) -}}{{- fail (printf "sinks[%d] must be an object with at least an id" $i) -}}{{- end -}}
{{- $id := $sink.id | default "" | toString -}}
{{- if not (regexMatch "^[a-z0-9][a-z0-9-]{0,62}$" $id) -}}{{- fail (printf "sinks[%d].id %q: lower-case letters, digits and '-' (SINK_ID)" $i $id) -}}{{- end -}}
{{- if hasKey $seen $id -}}{{- fail (printf "sinks[%d].id %q is used twice: each sink has its own consumer group and ledger" $i $id) -}}{{- end -}}
{{- $_ := set $seen $id true -}}
{{- if or (not (hasKey $sink "enabled")) $sink.enabled -}}
{{- $w := include "connector-runner.layer" (dict "base" $sinkBase "over" (omit $sink "id" "enabled" "fhirBaseUrl" "fhirBaseUrlSecret" "threshold" "entityTypes" "ownDataSourceIds" "type" "writesPerSecond" "humanReviewCategories" "reconcileIntervalMs" "config")) | fromYaml -}}
{{- $env := list (dict "name" "SINK_ID" "value" $id) -}}
{{- if $sink.fhirBaseUrlSecret -}}
{{- $env = append $env (dict "name" "SINK_FHIR_BASE_URL" "valueFrom" (dict "secretKeyRef" (dict "name" $sink.fhirBaseUrlSecret.name "key" $sink.fhirBaseUrlSecret.key))) -}}
{{- else if $sink.fhirBaseUrl -}}
{{- $env = append $env (dict "name" "SINK_FHIR_BASE_URL" "value" ($sink.fhirBaseUrl | toString)) -}}
{{- else if not (and (kindIs "map" $sink.config) (kindIs "map" $sink.config.target) $sink.config.target.baseUrl) -}}
{{- fail (printf "sinks[%d] (%s): set fhirBaseUrl or fhirBaseUrlSecret" $i $id) -}}
{{- end -}}
{{- if and (hasKey $sink "threshold") (not (kindIs "invalid" $sink.threshold)) -}}
{{- $env = append $env (dict "name" "SINK_THRESHOLD" "value" ($sink.threshold | toString)) -}}
{{- end -}}
{{- /* Unset settings are left to `config` (SINK_CONFIG_JSON) and the service's defaults (entity types: Patient). */ -}}
{{- with $sink.entityTypes -}}
{{- $env = append $env (dict "name" "SINK_ENTITY_TYPES" "value" (ternary . (join "," .) (kindIs "string" .) | toString)) -}}
{{- end -}}
{{- $own := $sink.ownDataSourceIds | default list -}}
{{- $env = append $env (dict "name" "SINK_OWN_DATA_SOURCE_IDS" "value" (ternary $own (join "," $own) (kindIs "string" $own) | toString)) -}}
{{- with $sink.type -}}{{- $env = append $env (dict "name" "SINK_TYPE" "value" (. | toString)) -}}{{- end -}}
{{- with $sink.writesPerSecond -}}{{- $env = append $env (dict "name" "SINK_WRITES_PER_SECOND" "value" (. | toString)) -}}{{- end -}}
{{- with $sink.humanReviewCategories -}}
{{- $env = append $env (dict "name" "SINK_HUMAN_REVIEW_CATEGORIES" "value" (ternary . (join "," .) (kindIs "string" .) | toString)) -}}
{{- end -}}
{{- with $sink.reconcileIntervalMs -}}{{- $env = append $env (dict "name" "SINK_RECONCILE_INTERVAL_MS" "value" (. | int64 | toString)) -}}{{- end -}}
{{- with $sink.config -}}{{- $env = append $env (dict "name" "SINK_CONFIG_JSON" "value" (toJson .)) -}}{{- end -}}
{{- $name := printf "%s-sink-%s" $fullname $id -}}
{{- if gt (len $name) 63 -}}{{- fail (printf "resource name %q is longer than 63 characters: shorten the sink id or the release name" $name) -}}{{- end -}}
{{- $_ := set $w "key" (printf "sink-%s" $id) -}}
{{- $_ := set $w "service" "sink" -}}
{{- $_ := set $w "name" $name -}}
{{- $_ := set $w "sinkId" $id -}}
{{- $_ := set $w "consumers" (list (dict "group" (printf "%ssink-%s" $prefix $id) "topic" (printf "%sentity.state.v1" $prefix))) -}}
{{- $_ := set $w "serviceEnv" $env -}}
{{- $out = append $out $w -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $w := $out -}}
{{- if and $w.hpa.enabled $w.keda.enabled -}}
{{- fail (printf "%s: hpa and keda are both enabled; KEDA manages its own HPA, enable one of them" $w.key) -}}
{{- end -}}
{{- if and $w.keda.enabled (not $w.consumers) -}}
{{- fail (printf "%s: keda is enabled but %s has no consumer lag to scale on (use hpa)" $w.key $w.service) -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "workloads" $out) -}}
{{- end -}}

{{/*
The environment every service shares (see libs/runtime/src/service.ts commonEnv).
Secrets only by secretKeyRef.
*/}}
{{- define "connector-runner.commonEnv" -}}
- name: KAFKA_BROKERS
  value: {{ .Values.kafka.brokers | toString | quote }}
- name: REGISTRY_URL
{{- if .Values.schemaRegistry.existingSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.schemaRegistry.existingSecret }}
      key: {{ .Values.schemaRegistry.urlKey }}
{{- else }}
  value: {{ .Values.schemaRegistry.url | toString | quote }}
{{- end }}
- name: TOPIC_PREFIX
  value: {{ .Values.kafka.topicPrefix | default "" | toString | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}
