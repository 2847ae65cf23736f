# The workload sources, in one list for every build that runs the workloads
# (bench/CMakeLists.txt and bench/xtensa/CMakeLists.txt).
set(BENCH_WORKLOAD_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/common.c
  ${CMAKE_CURRENT_LIST_DIR}/register.c
  ${CMAKE_CURRENT_LIST_DIR}/pair.c
  ${CMAKE_CURRENT_LIST_DIR}/batch.c
  ${CMAKE_CURRENT_LIST_DIR}/threads.c
  ${CMAKE_CURRENT_LIST_DIR}/handoff.c
  ${CMAKE_CURRENT_LIST_DIR}/pipeline.c
  ${CMAKE_CURRENT_LIST_DIR}/churn.c
  ${CMAKE_CURRENT_LIST_DIR}/replay.c
  ${CMAKE_CURRENT_LIST_DIR}/ipc4_pipelines.c
  ${CMAKE_CURRENT_LIST_DIR}/fill.c
  ${CMAKE_CURRENT_LIST_DIR}/hist.c
  ${CMAKE_CURRENT_LIST_DIR}/trace.c)
