#!/usr/bin/env bash
# Regenerates the default prompt set (R-MEDIA-5): media/prompts/{en,zh}/<id>.wav and prompts.json.
# Needs espeak-ng and sox (apt-get install espeak-ng sox); the product and its tests only read
# the committed WAVs, never this script. Output: 8 kHz, mono, 16-bit signed PCM WAV, leading and
# trailing silence trimmed, peak-normalised to -3 dBFS, no dither (so reruns give identical files
# on the same espeak-ng/sox versions).
#
#   media/prompts/generate.sh            # all prompts
#   media/prompts/generate.sh busy beep  # only these ids
set -euo pipefail
export LC_ALL=C.UTF-8

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v espeak-ng >/dev/null || { echo "espeak-ng not found (apt-get install espeak-ng)" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox not found (apt-get install sox)" >&2; exit 1; }

EN_VOICE=en-us   # espeak-ng voice for English
# Mandarin. Not plain `cmn`: in espeak-ng 1.51 (Debian/Ubuntu) `cmn` turns hanzi into numbered
# pinyin and then reads the pinyin letters and tone digits as English ("gei3" -> "G three");
# `cmn-latn-pinyin` is the same Mandarin voice with the pinyin read as pinyin.
ZH_VOICE=cmn-latn-pinyin
EN_SPEED=150     # words per minute
ZH_SPEED=150

# id | English | Mandarin. The one source of the texts; prompts.json is written from it.
# "beep" has no text: it is a 1 kHz, 400 ms tone, the same in both languages.
PROMPTS=$(cat <<'TABLE'
welcome|Welcome.|欢迎致电。
dial-extension|Please dial the extension number.|请拨分机号。
operator-zero|For the operator, press zero.|转人工服务请按零。
please-hold|Please hold.|请稍候。
transferring|Transferring your call, please wait.|正在为您转接，请稍候。
busy|The line is busy. Please try again later.|您拨打的用户正忙，请稍后再拨。
no-answer|There is no answer. Please try again later.|您拨打的电话暂时无人接听，请稍后再拨。
leave-message|Please leave a message after the tone.|请在提示音后留言。
beep||
outside-hours|We are closed. You have reached us outside service hours.|现在是非工作时间。
invalid-extension|The extension you dialed is invalid.|您拨打的分机号不存在。
goodbye|Goodbye.|再见。
not-available|The number you dialed is not available.|您拨打的号码暂时无法接通。
vm-enter-pin|Please enter your voicemail PIN, then press the pound key.|请输入语音信箱密码，以井号键结束。
vm-wrong-pin|That PIN is not correct.|密码错误。
vm-new-messages|new messages.|条新留言。
vm-menu|Press one to replay, seven to delete, nine to save, or pound for the next message.|重听请按一，删除请按七，保存请按九，下一条请按井号键。
vm-deleted|Message deleted.|留言已删除。
vm-saved|Message saved.|留言已保存。
vm-no-more|No more messages.|没有更多留言。
digit-0|zero|零
digit-1|one|一
digit-2|two|二
digit-3|three|三
digit-4|four|四
digit-5|five|五
digit-6|six|六
digit-7|seven|七
digit-8|eight|八
digit-9|nine|九
minutes-ago|minutes ago|分钟前
is-your-account-manager|is your account manager|是您的客户经理
called-you|called you|给您来过电话
TABLE
)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$here/en" "$here/zh"

wanted() { [ $# -eq 1 ] && return 0; local id="$1"; shift; for w in "$@"; do [ "$w" = "$id" ] && return 0; done; return 1; }

# speech <voice> <speed> <text> <out.wav>
speech() {
  espeak-ng -b 1 -v "$1" -s "$2" -w "$tmp/raw.wav" "$3"
  # trim silence at both ends (threshold 0.5%); resample to 8 kHz mono 16-bit (with 6 dB of
  # headroom, as resampling overshoots full-scale peaks), then normalise the peak to -3 dBFS
  sox -D "$tmp/raw.wav" -c 1 "$tmp/trim.wav" \
    silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
  sox -D "$tmp/trim.wav" -r 8000 -c 1 -b 16 -e signed-integer "$4" gain -6 rate -v 8000 gain -n -3
}

beep() { # 1 kHz sine, 400 ms, 5 ms fades so it does not click, -3 dBFS peak
  sox -D -n -r 8000 -c 1 -b 16 -e signed-integer "$1" synth 0.4 sine 1000 fade q 0.005 0.4 0.005 gain -n -3
}

json="{"
first=1
while IFS='|' read -r id en zh; do
  [ -z "$id" ] && continue
  if [ $first -eq 0 ]; then json+=","; fi
  first=0
  if [ "$id" = beep ]; then
    json+=$'\n'"  \"$id\": { \"en\": null, \"zh\": null, \"tone\": \"1000 Hz sine, 400 ms\" }"
  else
    json+=$'\n'"  \"$id\": { \"en\": \"$en\", \"zh\": \"$zh\" }"
  fi
  wanted "$id" "$@" || continue
  if [ "$id" = beep ]; then
    beep "$here/en/beep.wav"
    cp "$here/en/beep.wav" "$here/zh/beep.wav"
  else
    speech "$EN_VOICE" "$EN_SPEED" "$en" "$here/en/$id.wav"
    speech "$ZH_VOICE" "$ZH_SPEED" "$zh" "$here/zh/$id.wav"
  fi
done <<< "$PROMPTS"
json+=$'\n'"}"
printf '%s\n' "$json" > "$here/prompts.json"

# Listen-check by numbers: duration, RMS and peak of every file (a silent or clipped prompt shows).
printf '%-4s %-26s %8s %8s %8s\n' lang id seconds rms peak >&2
for lang in en zh; do
  for f in "$here/$lang"/*.wav; do
    id="$(basename "$f" .wav)"
    wanted "$id" "$@" || continue
    stats="$(sox "$f" -n stat 2>&1)"
    rms="$(awk '/^RMS +amplitude/ {print $3}' <<< "$stats")"
    peak="$(awk '/^Maximum amplitude/ {print $3}' <<< "$stats")"
    printf '%-4s %-26s %8.3f %8.4f %8.4f\n' "$lang" "$id" "$(soxi -D "$f")" "$rms" "$peak" >&2
  done
done
