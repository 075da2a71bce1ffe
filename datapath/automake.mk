# datapath/: the virtual network as programmed into Open vSwitch (pipeline,
# flow computation, installer, host provisioning).  Nothing is built here
# yet: see the pipeline issue.
EXTRA_DIST += datapath/README.md
