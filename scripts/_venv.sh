# Sourced by demo.sh and test.sh: create .venv with the standard library's venv, or, where that
# module is missing or cannot bootstrap pip (Debian/Ubuntu without python3-venv), with virtualenv
# installed by pip for this user.
make_venv() {
  if [ -x .venv/bin/python ] && .venv/bin/python -m pip --version >/dev/null 2>&1; then
    return 0
  fi
  rm -rf .venv
  if ! python3 -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    echo "python3 -m venv is unavailable here; using virtualenv instead" >&2
    python3 -m pip install --quiet --user virtualenv
    python3 -m virtualenv --quiet .venv
  fi
}
