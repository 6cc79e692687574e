{{/*
Names and labels.
*/}}
{{- define "sessionpix.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sessionpix.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-<component>; call with (dict "root" $ "component" "vision-pass-1"). */}}
{{- define "sessionpix.componentName" -}}
{{- printf "%s-%s" (include "sessionpix.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sessionpix.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sessionpix.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sessionpix.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sessionpix.selectorLabels" . }}
app.kubernetes.io/part-of: sessionpix
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{- define "sessionpix.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "sessionpix.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sessionpix.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The six services: the values key, the service name (SESSIONPIX_SERVICES, resource suffix), the
BullMQ queues it consumes (libs/contracts QUEUE_CONSUMERS) and the variable that overrides its
main queue's concurrency (libs/queue QUEUE_SETTINGS). A test compares this table with the code.
Read it with: include "sessionpix.serviceTable" . | fromYaml
*/}}
{{- define "sessionpix.serviceTable" -}}
gateway: {name: gateway, queues: [], concurrencyVariable: ""}
ingest: {name: ingest, queues: [ingest, purge, maintenance], concurrencyVariable: INGEST_CONCURRENCY}
visionPass1: {name: vision-pass-1, queues: [vision-pass-1], concurrencyVariable: VISION_PASS1_CONCURRENCY}
visionPass2: {name: vision-pass-2, queues: [vision-pass-2], concurrencyVariable: VISION_PASS2_CONCURRENCY}
billing: {name: billing, queues: [billing-events, billing-maintenance], concurrencyVariable: ""}
notifications: {name: notifications, queues: [notifications, email-batch], concurrencyVariable: NOTIFICATIONS_CONCURRENCY}
{{- end }}

{{/*
SHUTDOWN_GRACE_MS for one service: its termination grace, less the preStop sleep and the
margin; refuses a grace that leaves no drain time, or (vision) less than one model call.
Call with (dict "root" $ "key" $key "svc" $svc).
*/}}
{{- define "sessionpix.shutdownGraceMs" -}}
{{- $svc := .svc }}
{{- $drain := sub (sub (int64 $svc.terminationGracePeriodSeconds) (int64 $svc.preStopSleepSeconds)) (int64 .root.Values.shutdownMarginSeconds) }}
{{- if lt $drain 1 }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) must exceed preStopSleepSeconds (%v) + shutdownMarginSeconds (%v)" .key $svc.terminationGracePeriodSeconds $svc.preStopSleepSeconds .root.Values.shutdownMarginSeconds) }}
{{- end }}
{{- if and (hasPrefix "vision" .key) (lt (mul $drain 1000) (int64 .root.Values.vision.callTimeoutMs)) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) leaves %d s to drain, less than one model call (vision.callTimeoutMs = %v ms)" .key $svc.terminationGracePeriodSeconds $drain .root.Values.vision.callTimeoutMs) }}
{{- end }}
{{- mul $drain 1000 }}
{{- end }}

{{/*
The container environment of one service. Call with (dict "root" $ "key" $key "svc" $svc "info" $info).
Every name set here is one of the configuration contract's (.env.example); a test checks it.
*/}}
{{- define "sessionpix.env" -}}
{{- $root := .root }}
{{- $svc := .svc }}
- name: NODE_ENV
  value: production
- name: SESSIONPIX_SERVICES
  value: {{ .info.name | quote }}
- name: OPS_PORT
  value: {{ $root.Values.ports.ops | int64 | quote }}
- name: QUEUE_PREFIX
  value: {{ $root.Values.queuePrefix | quote }}
- name: SHUTDOWN_GRACE_MS
  value: {{ include "sessionpix.shutdownGraceMs" . | quote }}
{{- if eq .key "gateway" }}
- name: PORT
  value: {{ $root.Values.ports.http | int64 | quote }}
{{- end }}
{{- if hasPrefix "vision" .key }}
- name: VISION_CALL_TIMEOUT_MS
  value: {{ $root.Values.vision.callTimeoutMs | int64 | quote }}
{{- end }}
{{- if ne .key "gateway" }}
{{- $worker := $svc }}
{{- if not (kindIs "invalid" $worker.concurrency) }}
{{- if not .info.concurrencyVariable }}
{{- fail (printf "%s.concurrency: %s consumes no queue yet, so there is nothing to set; leave it null" .key .info.name) }}
{{- end }}
- name: {{ .info.concurrencyVariable }}
  value: {{ $worker.concurrency | int64 | quote }}
{{- end }}
{{- end }}
{{- $env := merge (deepCopy (default (dict) $svc.env)) (default (dict) $root.Values.env) }}
{{- if and (eq .key "notifications") (not (hasKey $env "SES_FROM_ADDRESS")) }}
{{- fail "notifications.env.SES_FROM_ADDRESS (or env.SES_FROM_ADDRESS) is required: the sender SES has verified, e.g. \"sessionpix <no-reply@example.com>\"" }}
{{- end }}
{{- range $name := keys $env | sortAlpha }}
- name: {{ $name }}
  value: {{ get $env $name | toString | quote }}
{{- end }}
{{- range $name := $root.Values.secrets.shared.keys }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.shared.existingSecret names the Secret with DATABASE_URL and REDIS_URL" $root.Values.secrets.shared.existingSecret }}
      key: {{ $name }}
{{- end }}
{{- range $name := $svc.secret.keys }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "%s.secret.existingSecret names the Secret holding %s" $.key $name) $svc.secret.existingSecret }}
      key: {{ $name }}
{{- end }}
{{- end }}

{{/* Probes on the ops port: startup and liveness on /healthz, readiness on /readyz. */}}
{{- define "sessionpix.probes" -}}
{{- $svc := .svc }}
startupProbe:
  httpGet: {path: /healthz, port: ops}
  periodSeconds: {{ $svc.probes.startup.periodSeconds }}
  timeoutSeconds: {{ $svc.probes.startup.timeoutSeconds }}
  failureThreshold: {{ $svc.probes.startup.failureThreshold }}
livenessProbe:
  httpGet: {path: /healthz, port: ops}
  periodSeconds: {{ $svc.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ $svc.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ $svc.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: /readyz, port: ops}
  periodSeconds: {{ $svc.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ $svc.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ $svc.probes.readiness.failureThreshold }}
{{- end }}

{{/* Egress every sessionpix pod needs: DNS and PostgreSQL. Call with the root context. */}}
{{- define "sessionpix.egressBase" -}}
- ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
  {{- with .Values.networkPolicy.dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- ports:
    - {port: {{ .Values.networkPolicy.postgres.port }}, protocol: TCP}
  {{- with .Values.networkPolicy.postgres.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
