# controller/: cutoverd, cutover-hook, cutoverctl.  Nothing is built here
# yet: see the controller issue.
EXTRA_DIST += controller/README.md
