"""What the gates read: the project's files, tracked or new (a new file is
what a gate is most often for), minus those deleted in the work tree; a
walk of `tops` where git cannot answer (an exported tarball)."""
import os
import subprocess


def project_files(root, tops):
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard"],
            check=True, capture_output=True, text=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        out = []
        for top in tops:
            for d, _, names in os.walk(os.path.join(root, top)):
                out += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(f for f in set(out) if f and os.path.isfile(os.path.join(root, f)))
