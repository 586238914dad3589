# Sourced by build-debian-guest.sh: a root disk laid out in two layers, so a small change to the --setup script
# changes a small part of the disk.
#
# mkfs.ext4 -d numbers inodes and places blocks in the order it walks the tree, so one file added early in that
# walk (a user's home folder in /home) renumbers every inode after it and rewrites most of the inode tables: a
# one-line setup change used to change about two thirds of the disk. Instead the disk is made from the tree as it
# was before the setup script ran (the base: the packages and vmplan's files), and what the script changed is then
# written into it with debugfs, which takes free inodes and blocks and leaves the base where it was. Both layers
# are deterministic, so the same inputs still give the same bytes.
#
# What debugfs cannot express the same way (a name with a newline or control character, a device node, extended
# attributes on a changed file, a hard link shared with an unchanged file) makes the builder fall back to one
# mkfs.ext4 -d of the whole tree: the same files, only without the layout that keeps transfers small.

# vmplan_tree_list DIR OUT: every entry under DIR, sorted by path, one per line:
#   path TAB type TAB mode TAB uid TAB gid TAB links TAB inode TAB content
# where content is a regular file's sha256 ("?" when sha256sum had to escape its name) or a symlink's target.
# A line with the wrong number of fields (a tab or newline in a name) is kept: the delta refuses it.
vmplan_tree_list() {
  (cd "$1" && find . -mindepth 1 -type f -print0 | xargs -0 -r sha256sum) >"$2.sums"
  (cd "$1" && find . -mindepth 1 -printf '%p\t%y\t%m\t%U\t%G\t%n\t%i\t%l\n') >"$2.meta"
  awk -F '\t' '
    FNR == NR { if (substr($0, 1, 1) != "\\") sum[substr($0, 67)] = substr($0, 1, 64); next }
    {
      if (NF == 8 && $2 == "f") $8 = ($1 in sum) ? sum[$1] : "?"
      print
    }' OFS='\t' "$2.sums" "$2.meta" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 >"$2"
  rm -f "$2.sums" "$2.meta"
}

# vmplan_disk_delta BASE_LIST FINAL_LIST FINAL_ROOT EPOCH WRITTEN: debugfs commands (standard output) that turn a
# disk made from the base tree into one holding the final tree; the host files it copies are listed in WRITTEN.
# Exits 3, with the reason on standard error, when the change cannot be written that way.
vmplan_disk_delta() {
  : >"$5"
  LC_ALL=C awk -F '\t' -v root="$3" -v epoch="$4" -v written="$5" '
    function fail(why) { print "disk layers: " why > "/dev/stderr"; failed = 1; exit 3 }
    # A debugfs argument: double quotes around it, a double quote inside doubled; nothing it cannot hold.
    function q(text) {
      if (text ~ /[\001-\037\177]/) fail("a name or link target with a control character: " text)
      gsub(/"/, "\"\"", text)
      return "\"" text "\""
    }
    function disk(path) { return path == "." ? "/" : substr(path, 2) }
    # What must match for an entry to be left as it is on the base disk (its inode number never does).
    function same(a, b,    x, y) {
      split(a, x, "\t"); split(b, y, "\t")
      if (x[2] != y[2] || x[3] != y[3] || x[4] != y[4] || x[5] != y[5]) return 0
      if (x[2] == "d") return 1
      if (x[2] == "f" && (x[8] == "?" || y[8] == "?")) return 0
      return x[6] == y[6] && x[8] == y[8]
    }
    function times(path) {
      printf "sif %s atime @%s\nsif %s mtime @%s\nsif %s ctime @%s\nsif %s crtime @%s\n", \
        q(disk(path)), epoch, q(disk(path)), epoch, q(disk(path)), epoch, q(disk(path)), epoch
    }
    function parent(path) { sub(/\/[^\/]*$/, "", path); return path }
    # The inode mode in octal: the type, then the permissions (setuid, setgid, sticky included) in four digits.
    BEGIN { typebits["f"] = "010"; typebits["d"] = "04"; typebits["l"] = "012" }
    NF != 8 { fail("a name with a tab or a newline in " FILENAME) }
    FNR == NR { base[$1] = $0; basetype[$1] = $2; order[++bases] = $1; next }
    {
      final[$1] = $0
      if (($1 in base) && same(base[$1], $0)) next
      if (!($2 in typebits)) fail("a " $2 " entry (only files, folders and symlinks are written): " $1)
      changed[++changes] = $1
      if ($2 == "f" && $6 > 1) { group[$7] = group[$7] " " changes; members[$7]++; links[$7] = $6 }
    }
    END {
      if (failed) exit 3
      for (inode in members) if (members[inode] != links[inode]) fail("a hard link shared with an unchanged file (inode " inode " in the final tree)")
      # Removed, or replaced by another type or content: children before their folder.
      for (i = bases; i >= 1; i--) {
        path = order[i]
        gone = !(path in final)
        if (!gone) { split(final[path], f, "\t"); gone = f[2] != basetype[path] || (f[2] != "d" && !same(base[path], final[path])) }
        if (!gone) continue
        print (basetype[path] == "d" ? "rmdir " : "rm ") q(disk(path))
        touched[parent(path)] = 1
      }
      # Written in path order, so a folder comes before what it holds.
      for (i = 1; i <= changes; i++) {
        path = changed[i]; split(final[path], f, "\t")
        kept = (path in base) && basetype[path] == "d" && f[2] == "d"
        if (!kept) {
          if (f[2] == "d") print "mkdir " q(disk(path))
          else if (f[2] == "l") print "symlink " q(disk(path)) " " q(f[8])
          else if (f[7] in first) print "ln " q(disk(first[f[7]])) " " q(disk(path))
          else {
            first[f[7]] = path
            print "write " q(root substr(path, 2)) " " q(disk(path))
            print root substr(path, 2) > written
          }
        }
        if (f[2] == "f" && f[6] > 1 && first[f[7]] != path) continue
        printf "sif %s mode %s%04d\nsif %s uid %s\nsif %s gid %s\n", q(disk(path)), typebits[f[2]], f[3], q(disk(path)), f[4], q(disk(path)), f[5]
        if (f[2] == "f" && f[6] > 1) printf "sif %s links_count %s\n", q(disk(path)), f[6]
        times(path)
        touched[parent(path)] = 1
      }
      for (path in touched) if (path == "." || path in final) times(path)
    }' "$1" "$2"
}

# vmplan_make_disk DISK SIZE TREE: a sparse ext4 disk of SIZE filled straight from TREE (no loop device, no
# mount), every time SOURCE_DATE_EPOCH, the UUID and directory hash seed DISK_UUID.
vmplan_make_disk() {
  # Each step checked: callers run this in an `if`, where `set -e` does not stop at a failure.
  rm -f "$1" && truncate -s "$2" "$1" || return 1
  LC_ALL=C E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -F -L vmplan-root -U "$DISK_UUID" \
    -E "lazy_itable_init=1,hash_seed=$DISK_UUID" -d "$3" "$1" || return 1
  # mkfs.ext4 -d (before e2fsprogs 1.47.1) copies each file's change time, which no one can set, and its access
  # time, which reading the tree moves: set both to SOURCE_DATE_EPOCH. It numbers inodes in order, so the used
  # ones are the root (2) and 11 up to the count in use.
  used=$(dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Inode count/ { n = $2 } /^Free inodes/ { f = $2 } END { print n - f }')
  { echo 2; seq 11 "$used"; } | sed "s/.*/sif <&> ctime @$SOURCE_DATE_EPOCH\nsif <&> atime @$SOURCE_DATE_EPOCH/" |
    vmplan_debugfs "$1" - || return 1
  vmplan_zero_written "$1"
}

# vmplan_debugfs DISK COMMANDS: runs a debugfs command file (- for standard input) on DISK; fails when debugfs
# reported an error for any command (it exits 0 whatever happened).
vmplan_debugfs() {
  errors=$(LC_ALL=C E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$2" "$1" 2>&1 >/dev/null | grep -v '^debugfs [0-9]' || true)
  [ -z "$errors" ] || { printf 'debugfs on %s:\n%s\n' "$1" "$errors" >&2; return 1; }
}

# The superblock's count of bytes ever written depends on how the disk was filled: zeroed.
vmplan_zero_written() { echo "ssv kbytes_written 0" | vmplan_debugfs "$1" -; }

# vmplan_has_xattrs LIST: whether any file named in LIST (one path a line) has extended attributes (mkfs.ext4 -d
# copies them, debugfs's write does not); unknown (no getfattr, no python3) counts as yes.
vmplan_has_xattrs() {
  if command -v getfattr >/dev/null; then
    [ -n "$(tr '\n' '\0' <"$1" | xargs -0 -r getfattr --absolute-names -h -d -m - 2>/dev/null)" ]
  elif command -v python3 >/dev/null; then
    python3 -c 'import os, sys; sys.exit(0 if any(os.listxattr(p.rstrip("\n"), follow_symlinks=False) for p in open(sys.argv[1])) else 1)' "$1"
  else
    return 0
  fi
}

# vmplan_layered_disk DISK SIZE BASE FINAL WORK: the disk of FINAL, laid out as BASE plus what changed (see the
# top of this file), checked by reading every file back; one mkfs.ext4 of FINAL when that cannot be done.
vmplan_layered_disk() {
  if vmplan_layers_written "$@"; then
    echo "disk layers: the setup script's changes written over the packages' file system ($(grep -c '' <"$5/written") file(s) copied)" >&2
  else
    echo "disk layers: one file system from the whole tree instead (the next small change will move more of the disk)" >&2
    vmplan_make_disk "$1" "$2" "$4" || { echo "disk layers: mkfs.ext4 could not make the disk" >&2; return 1; }
  fi
  rm -rf "$5/base.list" "$5/final.list" "$5/delta" "$5/written"
}

# vmplan_layers_written DISK SIZE BASE FINAL WORK: the two layers written and read back; fails saying why.
vmplan_layers_written() {
  vmplan_make_disk "$1" "$2" "$3" && vmplan_tree_list "$3" "$5/base.list" && vmplan_tree_list "$4" "$5/final.list" ||
    return 1
  vmplan_disk_delta "$5/base.list" "$5/final.list" "$4" "$SOURCE_DATE_EPOCH" "$5/written" >"$5/delta" || return 1
  if vmplan_has_xattrs "$5/written"; then
    echo "disk layers: a changed file has extended attributes (or there is no getfattr or python3 to tell)" >&2
    return 1
  fi
  vmplan_debugfs "$1" "$5/delta" && vmplan_zero_written "$1" && vmplan_disk_matches "$1" "$5/final.list" "$5"
}

# vmplan_disk_matches DISK LIST WORK: whether the disk's files, folders and symlinks are LIST's (type, permissions,
# owner, content; link counts and inode numbers aside: rdump writes hard links as separate files).
vmplan_disk_matches() {
  rm -rf "$3/check" && mkdir "$3/check"
  LC_ALL=C debugfs -R "rdump / $3/check" "$1" >/dev/null 2>&1
  vmplan_tree_list "$3/check/" "$3/check.list"
  # Permissions compared in their last three digits: rdump sets the owner after the mode, which drops setuid and
  # setgid from what it writes (the disk has them; debugfs sets the mode from the list like every other bit).
  strip() { awk -F '\t' '$2 ~ /^[fdl]$/ && $1 != "./lost+found" { print $1, $2, substr($3, length($3) - 2), $4, $5, $8 }' "$1"; }
  strip "$3/check.list" >"$3/check.disk"
  strip "$2" >"$3/check.tree"
  if cmp -s "$3/check.disk" "$3/check.tree"; then rm -rf "$3/check" "$3/check.list" "$3/check.disk" "$3/check.tree"; return 0; fi
  echo "disk layers: the layered disk does not read back as the tree it was made from (first differences, < disk, > tree):" >&2
  diff "$3/check.disk" "$3/check.tree" | grep '^[<>]' | head -5 >&2
  rm -rf "$3/check" "$3/check.list" "$3/check.disk" "$3/check.tree"
  return 1
}
