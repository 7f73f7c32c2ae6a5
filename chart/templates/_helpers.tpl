{{/*
Named templates of the kaireon chart. kaireon_chart/names.py and kaireon_chart/render.py mirror
every one that reaches a CronJob; change both together (tests/render compares them with helm).
*/}}

{{/*
kaireon.name: the chart name or nameOverride, a DNS-1123 label.
Usage: {{ include "kaireon.name" . }}
*/}}
{{- define "kaireon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
kaireon.fullname: fullnameOverride, else <release>-<name> (just <release> when the release name
already contains the name), truncated to 63 characters (Bitnami common.names.fullname).
Usage: {{ include "kaireon.fullname" . }}
*/}}
{{- define "kaireon.fullname" -}}
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

{{/*
kaireon.chart: the helm.sh/chart label value, <name>-<version> with "+" replaced by "_".
Usage: {{ include "kaireon.chart" . }}
*/}}
{{- define "kaireon.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
kaireon.selectorLabels: the immutable selector labels (name, instance).
Usage: {{ include "kaireon.selectorLabels" . }}
*/}}
{{- define "kaireon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kaireon.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/*
kaireon.labels: the standard labels (Helm recommended set + app.kubernetes.io/version).
Usage: {{ include "kaireon.labels" . }}
*/}}
{{- define "kaireon.labels" -}}
helm.sh/chart: {{ include "kaireon.chart" . | quote }}
{{ include "kaireon.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
{{- end -}}

{{/*
kaireon.serviceAccountName: the ServiceAccount the API and cron pods run as.
Usage: {{ include "kaireon.serviceAccountName" . }}
*/}}
{{- define "kaireon.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kaireon.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
kaireon.kebab: a cron.schedules key in kebab case: a hyphen between a lower-case letter or digit
and the upper-case letter after it, then all lower case ("engagementHealthRecompute" ->
"engagement-health-recompute"; already kebab keys pass unchanged).
Usage: {{ include "kaireon.kebab" $key }}
*/}}
{{- define "kaireon.kebab" -}}
{{- regexReplaceAll "([a-z0-9])([A-Z])" . "${1}-${2}" | lower -}}
{{- end -}}

{{/*
kaireon.cronjobName: <fullname>-<kebab key>. A CronJob name may have at most 52 characters (the
controller appends an 11-character suffix to Job names); a longer name is cut to 46 characters
(minus a trailing "-") and ends in "-" + the first 5 hex digits of the sha256 of the full name, so
two jobs never share a name by truncation.
Usage: {{ include "kaireon.cronjobName" (dict "ctx" $ "key" $key) }}
*/}}
{{- define "kaireon.cronjobName" -}}
{{- $full := printf "%s-%s" (include "kaireon.fullname" .ctx) (include "kaireon.kebab" .key) -}}
{{- if gt (len $full) 52 -}}
{{- printf "%s-%s" ($full | trunc 46 | trimSuffix "-") ($full | sha256sum | trunc 5) -}}
{{- else -}}
{{- $full -}}
{{- end -}}
{{- end -}}

{{/*
kaireon.apiUrl: the base URL the cron tier POSTs to: cron.apiUrl without a trailing "/", or the
chart's own API Service when it is empty.
Usage: {{ include "kaireon.apiUrl" . }}
*/}}
{{- define "kaireon.apiUrl" -}}
{{- if .Values.cron.apiUrl -}}
{{- .Values.cron.apiUrl | trimSuffix "/" -}}
{{- else -}}
{{- printf "http://%s.%s.svc.cluster.local:%d" (include "kaireon.fullname" .) .Release.Namespace (.Values.service.port | int64) -}}
{{- end -}}
{{- end -}}
