# docs/: architecture, man pages, the lab and measurement guides.
dist_man_MANS += docs/cutover-lossmeter.1 docs/cutoverctl.8 docs/cutoverd.8 \
	docs/cutover-announce.8 docs/cutover-announcer.8 docs/cutover-hook.8 \
	docs/cutover-blackout.1 docs/cutover-agent-port.8 \
	docs/cutover-appctl.8 docs/cutover-libvirt.8
EXTRA_DIST += \
	docs/architecture.md \
	docs/lab.md \
	docs/lossmeter.md \
	docs/blackout.md \
	docs/benchmarks.md \
	docs/northbound.md \
	docs/pipeline.md \
	docs/security.md \
	docs/announcements.md \
	docs/migration.md \
	docs/hook.md \
	docs/hold.md \
	docs/ha.md \
	docs/scale.md \
	docs/testing.md \
	docs/img/demo-cutover-timeline.png \
	docs/img/bench-10k-cutover.png \
	docs/img/bench-10k-learning.png \
	docs/img/bench-10k-late.png \
	docs/img/bench-100k-cutover.png
