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

{{/*
kaireon.image: [<registry>/]<repository>[:<tag>][@<digest>]. global.imageRegistry replaces the
image's own registry; an empty tag falls back to .tag (the API: .Chart.AppVersion). Mirrored by
kaireon_chart/podspec.py image_ref.
Usage: {{ include "kaireon.image" (dict "image" .Values.api.image "global" .Values.global "tag" .Chart.AppVersion) }}
*/}}
{{- define "kaireon.image" -}}
{{- $registry := .image.registry -}}
{{- if and .global .global.imageRegistry -}}{{- $registry = .global.imageRegistry -}}{{- end -}}
{{- $ref := printf "%s" .image.repository -}}
{{- if $registry -}}{{- $ref = printf "%s/%s" $registry $ref -}}{{- end -}}
{{- $tag := .image.tag | default .tag -}}
{{- if $tag -}}{{- $ref = printf "%s:%s" $ref $tag -}}{{- end -}}
{{- if .image.digest -}}{{- $ref = printf "%s@%s" $ref .image.digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{/*
kaireon.pullSecrets: global.imagePullSecrets then .names, de-duplicated, as [{name: ...}] YAML
("" when there is none).
Usage: {{ include "kaireon.pullSecrets" (dict "ctx" $ "names" .Values.api.imagePullSecrets) }}
*/}}
{{- define "kaireon.pullSecrets" -}}
{{- $global := .ctx.Values.global | default dict -}}
{{- $out := list -}}
{{- range uniq (concat ($global.imagePullSecrets | default list) (.names | default list)) -}}
{{- $out = append $out (dict "name" .) -}}
{{- end -}}
{{- if $out -}}{{- toYaml $out -}}{{- end -}}
{{- end -}}

{{/*
kaireon.labelMap: the labels of an object or pod as YAML: commonLabels, then .extra (podLabels),
then the chart's own labels (kaireon.labels + component), each later one winning a clash.
.client adds the label the API NetworkPolicy admits (trigger and test pods).
Usage: {{ include "kaireon.labelMap" (dict "ctx" $ "component" "api" "extra" .Values.api.podLabels) }}
*/}}
{{- define "kaireon.labelMap" -}}
{{- $out := deepCopy (.ctx.Values.commonLabels | default dict) -}}
{{- $out = mergeOverwrite $out (deepCopy (.extra | default dict)) -}}
{{- $own := include "kaireon.labels" .ctx | fromYaml -}}
{{- if .component -}}{{- $_ := set $own "app.kubernetes.io/component" .component -}}{{- end -}}
{{- if .client -}}{{- $_ := set $own "kaireonai.com/api-client" "true" -}}{{- end -}}
{{- $out = mergeOverwrite $out $own -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
kaireon.annotations: commonAnnotations, then .extra (podAnnotations) winning a clash, as YAML
("" when empty).
Usage: {{ with include "kaireon.annotations" (dict "ctx" $ "extra" .Values.api.podAnnotations) }}annotations: ...{{ end }}
*/}}
{{- define "kaireon.annotations" -}}
{{- $out := mergeOverwrite (deepCopy (.ctx.Values.commonAnnotations | default dict)) (deepCopy (.extra | default dict)) -}}
{{- if $out -}}{{- toYaml $out -}}{{- end -}}
{{- end -}}

{{/*
kaireon.securityContext: the restricted defaults (.base) with the user's fields (.override) merged
over them (mergeOverwrite: maps deep, empty values do not override). The schema only admits
overrides that tighten or change UIDs/GIDs.
Usage: {{ include "kaireon.securityContext" (dict "base" $base "override" .Values.api.podSecurityContext) }}
*/}}
{{- define "kaireon.securityContext" -}}
{{- toYaml (mergeOverwrite (deepCopy .base) (deepCopy (.override | default dict))) -}}
{{- end -}}

{{/*
kaireon.podScheduling: imagePullSecrets, priorityClassName, nodeSelector, tolerations, affinity
(and topologySpreadConstraints when given) of a pod spec, each only when set.
Usage: {{ include "kaireon.podScheduling" (dict "ctx" $ "s" $settings) }}
*/}}
{{- define "kaireon.podScheduling" -}}
{{- with include "kaireon.pullSecrets" (dict "ctx" .ctx "names" .s.imagePullSecrets) }}
imagePullSecrets:
  {{- . | nindent 2 }}
{{- end }}
{{- with .s.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .s.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .s.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .s.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .s.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
kaireon.triggerPodSecurity / kaireon.containerSecurity / kaireon.apiPodSecurity: the built-in
securityContext defaults (podspec.py mirrors the first two) of the
trigger and test pods (UID/GID 10100: curl needs no passwd entry; checkov wants UIDs >= 10000).
*/}}
{{- define "kaireon.triggerPodSecurity" -}}
{{- toYaml (dict "runAsNonRoot" true "runAsUser" 10100 "runAsGroup" 10100 "seccompProfile" (dict "type" "RuntimeDefault")) -}}
{{- end -}}
{{- define "kaireon.containerSecurity" -}}
{{- toYaml (dict "allowPrivilegeEscalation" false "readOnlyRootFilesystem" true "capabilities" (dict "drop" (list "ALL"))) -}}
{{- end -}}
{{- define "kaireon.apiPodSecurity" -}}
{{- $uid := .Values.api.runAsUser | int64 -}}
{{- toYaml (dict "runAsNonRoot" true "runAsUser" $uid "runAsGroup" $uid "fsGroup" $uid "seccompProfile" (dict "type" "RuntimeDefault")) -}}
{{- end -}}
