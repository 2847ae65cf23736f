# Runs the stress driver EXE with ARGS (separated by @@: a ; would not survive
# add_test) and --json JSON, its output passing through, then gates the run
# on its own evidence: check_run.py CHECKER reads JSON against NEEDS.
string(REPLACE "@@" ";" ARGS "${ARGS}")
file(REMOVE ${JSON})
execute_process(COMMAND ${EXE} ${ARGS} --json ${JSON} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with ${rc}")
endif()
execute_process(COMMAND ${PYTHON} ${CHECKER} ${JSON} "${NEEDS}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the run did not show what it was run for: ${JSON}")
endif()
