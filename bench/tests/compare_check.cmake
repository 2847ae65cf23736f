# Runs Google Benchmark's compare.py (COMPARE, under PYTHON) on A and B and
# passes only if it exits 0 and its output names EXPECT.
execute_process(COMMAND ${PYTHON} ${COMPARE} benchmarks ${A} ${B}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "compare.py exited with ${rc}\n${err}")
endif()
string(FIND "${out}" "${EXPECT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "compare.py's output does not name ${EXPECT}")
endif()
