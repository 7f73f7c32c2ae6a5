{{/*
The schedule and time-zone rules of the Kubernetes API server (robfig/cron v3.0.1 ParseStandard,
the TZ rule, time.LoadLocation over the IANA names in _timezones.tpl), as close as the template
language allows, so that `helm install` refuses what the API server would before creating
anything. Each error text is the one `render-values` prints (kaireon_chart/cron/friendly.py);
tests/chart/test_helm_rejects.py compares the two on the invalid corpus. templates/validate.yaml
calls them.
*/}}

{{/*
kaireon.cronError: "" when Kubernetes accepts the schedule, else render-values' message.
Usage: {{ include "kaireon.cronError" (dict "expr" $schedule "zones" $zones) }}
*/}}
{{- define "kaireon.cronError" -}}
{{- $expr := .expr -}}
{{- $spec := $expr -}}
{{- $err := "" -}}
{{- $tzRule := contains "TZ" $expr -}}
{{- $ws := "[\\s\\v\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]" -}}
{{- if or (hasPrefix "TZ=" $spec) (hasPrefix "CRON_TZ=" $spec) -}}
  {{- if not (contains " " $spec) -}}
    {{- $err = "a TZ= or CRON_TZ= prefix is not allowed in the schedule; set the timeZone field instead" -}}
    {{- $tzRule = false -}}
  {{- else -}}
    {{- $head := first (splitList " " $spec) -}}
    {{- $name := join "=" (rest (splitList "=" $head)) -}}
    {{- $known := or (has $name (list "" "UTC" "Local")) (contains (printf "|%s|" $name) .zones) -}}
    {{- if not $known -}}
      {{- $err = "a TZ= or CRON_TZ= prefix is not allowed in the schedule; set the timeZone field instead" -}}
      {{- $tzRule = false -}}
    {{- end -}}
    {{- $spec = regexReplaceAll (printf "^%s+|%s+$" $ws $ws) (trimPrefix $head $spec) "" -}}
  {{- end -}}
{{- end -}}
{{- if not $err -}}
{{- $descriptors := list "@yearly" "@annually" "@monthly" "@weekly" "@daily" "@midnight" "@hourly" -}}
{{- if hasPrefix "@" $spec -}}
  {{- if has $spec $descriptors -}}
  {{- else if hasPrefix "@every " $spec -}}
    {{- $derr := include "kaireon.durationError" (trimPrefix "@every " $spec) -}}
    {{- if $derr -}}
      {{- $err = printf "bad @every duration (%s); use a Go duration such as 90s, 15m or 1h30m (units ns, us, ms, s, m, h; no d)" $derr -}}
    {{- end -}}
  {{- else -}}
    {{- $hint := "" -}}
    {{- if and (has (lower $spec) $descriptors) (ne (lower $spec) $spec) -}}
      {{- $hint = printf " (descriptors are case-sensitive: use %s)" (lower $spec) -}}
    {{- end -}}
    {{- $err = printf "unknown descriptor '%s'%s; allowed: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>" $spec $hint -}}
  {{- end -}}
{{- else -}}
  {{- $fields := regexFindAll (printf "[^%s]+" (trimPrefix "[" (trimSuffix "]" $ws))) $spec -1 -}}
  {{- if ne (len $fields) 5 -}}
    {{- $hint := ternary " (Kubernetes has no seconds or year field)" "" (has (len $fields) (list 6 7)) -}}
    {{- $err = printf "expected 5 fields (minute hour day-of-month month day-of-week), found %d%s" (len $fields) $hint -}}
  {{- else -}}
    {{- $months := dict "jan" 1 "feb" 2 "mar" 3 "apr" 4 "may" 5 "jun" 6 "jul" 7 "aug" 8 "sep" 9 "oct" 10 "nov" 11 "dec" 12 -}}
    {{- $dows := dict "sun" 0 "mon" 1 "tue" 2 "wed" 3 "thu" 4 "fri" 5 "sat" 6 -}}
    {{- $specs := list
        (dict "f" "minute" "min" 0 "max" 59 "allowed" "0-59")
        (dict "f" "hour" "min" 0 "max" 23 "allowed" "0-23")
        (dict "f" "day-of-month" "min" 1 "max" 31 "allowed" "1-31")
        (dict "f" "month" "min" 1 "max" 12 "allowed" "1-12 or JAN-DEC" "names" $months)
        (dict "f" "day-of-week" "min" 0 "max" 6 "allowed" "0-6 or SUN-SAT" "names" $dows) -}}
    {{- range $n, $b := $specs -}}
      {{- if not $err -}}
        {{- $err = include "kaireon.cronFieldError" (dict "text" (index $fields $n) "b" $b "months" $months "dows" $dows) -}}
      {{- end -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- end -}}
{{- if $tzRule -}}
  {{- $err = join "; " (compact (list $err "TZ/CRON_TZ cannot be used in the schedule; set the timeZone field instead")) -}}
{{- end -}}
{{- $err -}}
{{- end -}}

{{/* kaireon.cronFieldError: robfig getField over one field's comma-separated items. */}}
{{- define "kaireon.cronFieldError" -}}
{{- $b := .b -}}
{{- $f := $b.f -}}
{{- $ctx := . -}}
{{- $err := "" -}}
{{- range $item := splitList "," .text -}}
{{- if and (not $err) $item -}}
  {{- $rs := splitList "/" $item -}}
  {{- $lh := splitList "-" (first $rs) -}}
  {{- $start := int64 0 -}}{{- $end := int64 0 -}}{{- $step := int64 1 -}}
  {{- if has (first $lh) (list "*" "?") -}}
    {{- $start = $b.min | int64 -}}{{- $end = $b.max | int64 -}}
  {{- else -}}
    {{- $r := include "kaireon.cronInt" (dict "tok" (first $lh) "b" $b "ctx" $ctx "names" true) -}}
    {{- if hasPrefix "err:" $r -}}{{- $err = trimPrefix "err:" $r -}}{{- else -}}{{- $start = trimPrefix "ok:" $r | int64 -}}{{- $end = $start -}}{{- end -}}
    {{- if and (not $err) (eq (len $lh) 2) -}}
      {{- $r = include "kaireon.cronInt" (dict "tok" (index $lh 1) "b" $b "ctx" $ctx "names" true) -}}
      {{- if hasPrefix "err:" $r -}}{{- $err = trimPrefix "err:" $r -}}{{- else -}}{{- $end = trimPrefix "ok:" $r | int64 -}}{{- end -}}
    {{- else if and (not $err) (gt (len $lh) 2) -}}
      {{- $err = printf "%s item '%s' has more than one hyphen; use N, N-M, N/step or N-M/step" $f $item -}}
    {{- end -}}
  {{- end -}}
  {{- if not $err -}}
    {{- if eq (len $rs) 2 -}}
      {{- $r := include "kaireon.cronInt" (dict "tok" (index $rs 1) "b" $b "ctx" $ctx "names" false) -}}
      {{- if hasPrefix "err:" $r -}}{{- $err = trimPrefix "err:" $r -}}{{- else -}}{{- $step = trimPrefix "ok:" $r | int64 -}}{{- end -}}
      {{- if eq (len $lh) 1 -}}{{- $end = $b.max | int64 -}}{{- end -}}
    {{- else if gt (len $rs) 2 -}}
      {{- $err = printf "%s item '%s' has more than one slash; use N, N-M, N/step or N-M/step" $f $item -}}
    {{- end -}}
  {{- end -}}
  {{- if not $err -}}
    {{- if lt $start ($b.min | int64) -}}
      {{- $err = printf "%s %d is below the minimum %d; allowed: %s" $f $start ($b.min | int64) $b.allowed -}}
    {{- else if gt $end ($b.max | int64) -}}
      {{- if contains "-" (first $rs) -}}
        {{- $err = printf "%s range '%s' ends at %d, which is above the maximum %d" $f $item $end ($b.max | int64) -}}
        {{- if and (eq $f "day-of-week") (eq $end 7) -}}{{- $err = printf "%s (use 0 or SUN for Sunday)" $err -}}{{- else -}}{{- $err = printf "%s; allowed: %s" $err $b.allowed -}}{{- end -}}
      {{- else if and (eq $f "day-of-week") (eq $end 7) -}}
        {{- $err = "day-of-week 7 is above the maximum 6 (use 0 or SUN)" -}}
      {{- else -}}
        {{- $err = printf "%s %d is above the maximum %d; allowed: %s" $f $end ($b.max | int64) $b.allowed -}}
      {{- end -}}
    {{- else if gt $start $end -}}
      {{- $err = printf "%s range '%s' runs backwards (%d > %d); ranges do not wrap around, write it as two ranges in a list" $f $item $start $end -}}
    {{- else if eq $step 0 -}}
      {{- $err = printf "%s step in '%s' must be a positive number" $f $item -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- end -}}
{{- $err -}}
{{- end -}}

{{/* kaireon.cronInt: robfig parseIntOrName / mustParseInt -> "ok:<n>" or "err:<message>". */}}
{{- define "kaireon.cronInt" -}}
{{- $tok := .tok -}}
{{- $b := .b -}}
{{- $f := $b.f -}}
{{- $low := lower $tok -}}
{{- if and .names $b.names (hasKey $b.names $low) -}}
ok:{{ index $b.names $low }}
{{- else if and (regexMatch "^[+-]?[0-9]+$" $tok) (or (lt (len (regexReplaceAll "^[+-]?0*" $tok "")) 19) (and (eq (len (regexReplaceAll "^[+-]?0*" $tok "")) 19) (le (regexReplaceAll "^[+-]?0*" $tok "") "9223372036854775807"))) -}}
  {{- $n := atoi $tok -}}
  {{- if lt $n 0 -}}
err:{{ printf "%s step in '%s' must be a positive number, not %d" $f $tok $n }}
  {{- else -}}
ok:{{ $n }}
  {{- end -}}
{{- else -}}
  {{- $hint := "" -}}
  {{- if regexMatch "^(?i:[0-9]*L[0-9]*|[0-9]*W|LW|\\w*#[0-9]*)$" $tok -}}{{- $hint = " (L, W and # are not supported by Kubernetes)" -}}{{- end -}}
  {{- if or (has (upper $tok) (list "H" "R")) (hasPrefix "H(" (upper $tok)) -}}{{- $hint = " (H and R hash/random values are not supported by Kubernetes)" -}}{{- end -}}
  {{- $fullMonths := list "january" "february" "march" "april" "may" "june" "july" "august" "september" "october" "november" "december" -}}
  {{- $fullDays := list "sunday" "monday" "tuesday" "wednesday" "thursday" "friday" "saturday" -}}
  {{- if and (eq $f "month") (has $low $fullMonths) -}}{{- $hint = printf " (use the 3-letter name %s)" (upper (substr 0 3 $low)) -}}{{- end -}}
  {{- if and (eq $f "day-of-week") (has $low $fullDays) -}}{{- $hint = printf " (use the 3-letter name %s)" (upper (substr 0 3 $low)) -}}{{- end -}}
  {{- if and (not (has $f (list "month" "day-of-week"))) (or (hasKey .ctx.months $low) (hasKey .ctx.dows $low)) -}}{{- $hint = " (names are only allowed in the month and day-of-week fields)" -}}{{- end -}}
  {{- if eq $tok "" -}}{{- $hint = " (a negative number or a missing number around '-' or '/')" -}}{{- end -}}
err:{{ printf "%s value '%s' is not a number%s; allowed: %s" $f $tok $hint $b.allowed }}
{{- end -}}
{{- end -}}

{{/* kaireon.durationError: Go time.ParseDuration's error for @every (overflow aside), "" when valid. */}}
{{- define "kaireon.durationError" -}}
{{- $orig := . -}}
{{- $bad := printf "time: invalid duration %q" $orig -}}
{{- $s := regexReplaceAll "^[-+]" $orig "" -}}
{{- $err := "" -}}
{{- if eq $s "" -}}
  {{- $err = $bad -}}
{{- else if ne $s "0" -}}
  {{- range until 64 -}}
    {{- if and (not $err) $s -}}
      {{- $num := regexFind "^[0-9]*(\\.[0-9]*)?" $s -}}
      {{- if not (regexMatch "[0-9]" $num) -}}
        {{- $err = $bad -}}
      {{- else -}}
        {{- $s = trimPrefix $num $s -}}
        {{- $unit := regexFind "^[^0-9.]*" $s -}}
        {{- if eq $unit "" -}}
          {{- $err = printf "time: missing unit in duration %q" $orig -}}
        {{- else if not (has $unit (list "ns" "us" "µs" "μs" "ms" "s" "m" "h")) -}}
          {{- $err = printf "time: unknown unit %q in duration %q" $unit $orig -}}
        {{- else -}}
          {{- $s = trimPrefix $unit $s -}}
        {{- end -}}
      {{- end -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- $err -}}
{{- end -}}

{{/*
kaireon.timeZoneError: "" when the API server accepts spec.timeZone, else render-values' message.
Usage: {{ include "kaireon.timeZoneError" (dict "tz" $tz "zones" $zones) }}
*/}}
{{- define "kaireon.timeZoneError" -}}
{{- $tz := .tz -}}
{{- $allowed := "allowed: an IANA time zone name such as \"Europe/Berlin\" or \"UTC\", or \"\" to omit spec.timeZone" -}}
{{- $bad := false -}}
{{- range $part := splitList "/" $tz -}}
  {{- if or (has $part (list "." "..")) (hasPrefix "-" $part) (not (regexMatch "^[A-Za-z.\\-_0-9+]{1,14}$" $part)) -}}{{- $bad = true -}}{{- end -}}
{{- end -}}
{{- if $bad -}}
{{ printf "%+q: unknown time zone %s; %s" $tz $tz $allowed }}
{{- else if eq (lower $tz) "local" -}}
{{ printf "%+q: timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones; %s" $tz $allowed }}
{{- else if not (contains (printf "|%s|" $tz) .zones) -}}
{{ printf "%+q: unknown time zone %s; %s" $tz $tz $allowed }}
{{- end -}}
{{- end -}}
