{{- define "criticbot.fullname" -}}
{{ .Release.Name }}-criticbot
{{- end -}}

{{- define "criticbot.selectorLabels" -}}
app.kubernetes.io/name: criticbot
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "criticbot.labels" -}}
{{ include "criticbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: criticbot-{{ .Chart.Version }}
{{- end -}}

{{- define "criticbot.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "criticbot.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.database.existingSecret.name) -}}
{{- fail "replicaCount > 1 needs PostgreSQL: set database.existingSecret.name (a Secret holding a PostgreSQL URL); SQLite serves one replica only" -}}
{{- end -}}
{{- if not .Values.github.appId -}}
{{- fail "github.appId is required (register the App first: docs/github-app.md)" -}}
{{- end -}}
{{- end -}}

{{- define "criticbot.env" -}}
- name: GITHUB_APP_ID
  value: {{ .Values.github.appId | quote }}
- name: GITHUB_API_URL
  value: {{ .Values.github.apiUrl | quote }}
- name: GITHUB_PRIVATE_KEY_PATH
  value: /run/secrets/github/private-key.pem
- name: GITHUB_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.github.webhookSecret.name }}
      key: {{ .Values.github.webhookSecret.key }}
- name: CRITICBOT_MODEL
  value: {{ .Values.model.name | quote }}
{{- if .Values.model.baseUrl }}
- name: OPENAI_BASE_URL
  value: {{ .Values.model.baseUrl | quote }}
{{- end }}
{{- if .Values.model.apiKeySecret.name }}
- name: OPENAI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.model.apiKeySecret.name }}
      key: {{ .Values.model.apiKeySecret.key }}
{{- end }}
{{- if .Values.database.existingSecret.name }}
- name: CRITICBOT_DATABASE
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret.name }}
      key: {{ .Values.database.existingSecret.key }}
{{- else }}
- name: CRITICBOT_DATABASE
  value: /data/criticbot.db
{{- end }}
{{- if .Values.adminTokenSecret.name }}
- name: CRITICBOT_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.adminTokenSecret.name }}
      key: {{ .Values.adminTokenSecret.key }}
{{- end }}
{{- if .Values.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.otlpEndpoint | quote }}
{{- end }}
{{- end -}}
