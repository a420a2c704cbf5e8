# shellcheck shell=bash
# install.sh's way of acting: every change is looked for first, reported ("unchanged",
# "change", or "would" in a dry run), and every command that changes the system goes
# through run, which prints it and, unless this is a dry run, runs it.
# Sourced by provisioning/install.sh; uses its settings (ROOT, DRY_RUN, APP, …).

die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }

step() { printf '== %s\n' "$*"; }

unchanged() { printf '   unchanged: %s\n' "$*"; }

change() {
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" = 1 ]; then printf '   would: %s\n' "$*"; else printf '   change: %s\n' "$*"; fi
}

shell_words() {
  local word out=""
  for word in "$@"; do
    if [[ "$word" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+="$word "; else out+="'$word' "; fi
  done
  printf '%s' "${out% }"
}

# A command that changes the system: printed, and run unless this is a dry run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '     would run: %s\n' "$(shell_words "$@")"
  else
    printf '     run: %s\n' "$(shell_words "$@")"
    "$@" || command_failed "$?" "$@"
  fi
}

# Exit status 3: a system command failed (1: bad input or a refusal, before any change).
command_failed() {
  local status=$1
  shift
  trap - ERR
  printf 'install.sh: error: "%s" failed (status %s). The steps before it are done; fix the cause and run install.sh again.\n' \
    "$(shell_words "$@")" "$status" >&2
  exit 3
}

at() { printf '%s%s' "${ROOT%/}" "$1"; }

# Raspberry Pi OS on a Pi, or its image being built: the camera stack and the Pi's GPIO
# library come from its archive. Anything else is plain Debian (the virtual Pi).
raspberry_pi() {
  [ "$IMAGE_BUILD" = 1 ] || [ -d "$(at /boot/firmware)" ] || grep -qs 'Raspberry Pi' /proc/device-tree/model
}

live() { [ "$IMAGE_BUILD" = 0 ] && [ -d "$(at /run/systemd/system)" ]; }

app_command() {
  APP=(runuser -u "$SERVICE_USER" -- "$(at "$VENV")/bin/vig-appliance"
       --config "$(at "$CONF_DIR")/config.toml" --data-dir "$(at "$DATA_DIR")")
}

# The app as the service user, from / (the caller's directory may be closed to that user).
app() { (cd / && "${APP[@]}" "$@"); }

run_app() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '     would run: %s\n' "$(shell_words "${APP[@]}" "$@")"
  else
    printf '     run: %s\n' "$(shell_words "${APP[@]}" "$@")"
    app "$@" || command_failed "$?" "${APP[@]}" "$@"
  fi
}

owner_of() { stat -c '%U:%G' "$1"; }

mode_of() { stat -c '%a' "$1"; }

# put_file PATH MODE OWNER:GROUP [SHOWN-AS], content on stdin: written only when something
# differs. A dry run shows the content (secrets masked), or SHOWN-AS for copied files.
put_file() {
  local path=$1 mode=$2 owner=$3 shown_as=${4:-} target staged
  target=$(at "$path")
  staged=$(mktemp)
  cat >"$staged"
  if [ -f "$target" ] && cmp -s "$staged" "$target" && [ "$(mode_of "$target")" = "$mode" ] &&
     [ "$(owner_of "$target")" = "$owner" ]; then
    unchanged "$path"
    rm -f "$staged"
    return 1
  fi
  change "write $path ($mode $owner)"
  if [ "$DRY_RUN" = 1 ] && [ -n "$shown_as" ]; then
    printf '     | (%s)\n' "$shown_as"
  elif [ "$DRY_RUN" = 1 ]; then
    sed -e 's/^\(psk\)=.*/\1=(secret)/' -e 's/^/     | /' "$staged"
  else
    mkdir -p "$(dirname "$target")"
    install -m "$mode" "$staged" "$target.vig-new"
    mv -f "$target.vig-new" "$target"
    [ "$owner" = root:root ] || run chown "$owner" "$target"
  fi
  rm -f "$staged"
}

# put_dir PATH MODE OWNER:GROUP
put_dir() {
  local path=$1 mode=$2 owner=$3 target
  target=$(at "$path")
  if [ -d "$target" ] && [ "$(mode_of "$target")" = "$mode" ] &&
     [ "$(owner_of "$target")" = "$owner" ]; then
    unchanged "$path/"
    return 0
  fi
  change "directory $path ($mode $owner)"
  [ -d "$target" ] || run mkdir -p "$target"
  run chmod "$mode" "$target"
  run chown "$owner" "$target"
}
