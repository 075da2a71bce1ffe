# datapath/: the virtual network as programmed into Open vSwitch: flow sets,
# the pipeline (pure flow computation from the model); later the installer
# and host provisioning.
noinst_LTLIBRARIES += datapath/libdatapath.la
datapath_libdatapath_la_SOURCES = \
	datapath/flow-audit.c \
	datapath/flow-audit.h \
	datapath/flow-set.c \
	datapath/flow-set.h \
	datapath/installer.c \
	datapath/installer.h \
	datapath/of-listener.c \
	datapath/of-listener.h \
	datapath/pipeline.c \
	datapath/pipeline.h \
	datapath/provision.c \
	datapath/provision.h
EXTRA_DIST += datapath/README.md
