# Lays out HOST_JSON and BM_JSON as two machines under DIR, renders the
# report, and checks the sections a reader relies on are there.
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR}/host ${DIR}/baremetal)
file(COPY_FILE ${HOST_JSON} ${DIR}/host/2026-01-01T000000Z.json)
file(COPY_FILE ${BM_JSON} ${DIR}/baremetal/2026-01-01T000000Z.json)
execute_process(COMMAND ${PYTHON} ${REPORT} ${DIR} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "report.py failed:\n${err}")
endif()
file(READ ${DIR}/host/report.md host)
file(READ ${DIR}/README.md readme)
foreach(section "## Targets (issues 3, 6, 11 and 12)" "| 12 | host pure path" "| significance |" "## Memory efficiency on tgl" "## fill:" "## pair:" "### Latency percentiles" "## threads:"
                "## handoff:" "## batch:" "## batch-sys:" "## pipeline:" "## churn:" "## replay:"
                "## word-claim cache on the host layout: smpheap vs smpheap-nocache"
                "| churn 90% runtime 16 B-4 KiB |")
  string(FIND "${host}" "${section}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "report.md has no '${section}'")
  endif()
endforeach()
# The smoke run registers what a default `make bench` does: every target row
# must get its figures from it (only the callgrind counts come from another
# file, which this test does not make). A workload a target needs moved under
# FULL=1 shows here as "not measured".
string(FIND "${host}" "## Targets (issues 3, 6, 11 and 12)" at)
string(SUBSTRING "${host}" ${at} -1 targets)
string(FIND "${targets}" "\n## " end)
string(SUBSTRING "${targets}" 0 ${end} targets)
string(REPLACE ";" "," targets "${targets}") # a row, not a CMake list separator
string(REGEX MATCHALL "\n\\| [0-9]+ \\|[^\n]*" target_rows "${targets}")
list(LENGTH target_rows n)
if(n LESS 30)
  message(FATAL_ERROR "the targets table has ${n} rows, not 30 or more:\n${targets}")
endif()
foreach(row IN LISTS target_rows)
  if(row MATCHES "not measured" AND NOT row MATCHES "callgrind")
    message(FATAL_ERROR "a target the default run should measure is not measured:${row}")
  endif()
endforeach()
# a filtered run and a cut-short file, newer than the complete run, are left
# out: the report still comes from the complete run
file(WRITE ${DIR}/host/2026-01-02T000000Z.json
  "{\"context\": {\"benchmark_filter\": \"^pair/smpheap/\"}, \"benchmarks\": []}")
file(WRITE ${DIR}/host/2026-01-03T000000Z.json "{\"context\": {")
execute_process(COMMAND ${PYTHON} ${REPORT} ${DIR} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "report.py failed with a filtered run present:\n${err}")
endif()
file(READ ${DIR}/host/report.md host2)
if(NOT host2 STREQUAL host)
  message(FATAL_ERROR "a filtered or cut-short run changed the report")
endif()
foreach(machine host baremetal)
  string(FIND "${readme}" "| ${machine} |" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "results README does not compare machine ${machine}")
  endif()
endforeach()
