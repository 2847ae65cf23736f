# Renders the report from a copy of the stored results (RESULTS: the repo's
# results/, the newest complete run of each machine) into DIR, and checks
# that every issue-12 target has a row computed from those runs: the
# every-machine table of results/README.md holds the host's rows and the
# DSP's, none of them "not measured".
file(REMOVE_RECURSE ${DIR})
file(COPY ${RESULTS}/ DESTINATION ${DIR})
execute_process(COMMAND ${PYTHON} ${REPORT} ${DIR} RESULT_VARIABLE rc OUTPUT_QUIET
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "report.py failed on the stored results:\n${err}")
endif()
file(READ ${DIR}/README.md readme)
string(FIND "${readme}" "### Issue 12's targets" at)
if(at EQUAL -1)
  message(FATAL_ERROR "results README has no issue 12 table")
endif()
string(SUBSTRING "${readme}" ${at} -1 section)
string(FIND "${section}" "Per-machine details" end)
string(SUBSTRING "${section}" 0 ${end} section)
string(FIND "${section}" "not measured" missing)
if(NOT missing EQUAL -1)
  message(FATAL_ERROR "an issue 12 target is not measured by the stored runs:\n${section}")
endif()
# 9 host targets (5 callgrind counts, 4 from threads) and 7 DSP ones
string(REGEX MATCHALL "\n\\| [^|\n]+ \\| (host|Xtensa|DSP)[^\n]*" rows "${section}")
list(LENGTH rows n)
if(n LESS 16)
  message(FATAL_ERROR "the issue 12 table has ${n} target rows, not 16:\n${section}")
endif()
