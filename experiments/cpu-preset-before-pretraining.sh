# The cpu preset's composition and start before the pretrained start (issue #18): what the earlier
# studies measured (docs/results/core-cpu.md, annotator-cpu.md, shortcut-study.md). Sourced by
# their scripts, so that they keep reproducing those reports under today's preset.
# shellcheck disable=SC2034
before_pretraining_data=(--textures gimp --digit-size 0 --luminance-offset 0.3
                         --stretch-textures false --mask-threshold 0.5)
before_pretraining=("${before_pretraining_data[@]}" --pretrained none)
