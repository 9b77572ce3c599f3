# Writes rcd's completion scripts: cmake -DRCD=<binary> -DOUT=<dir> -P completions.cmake
file(MAKE_DIRECTORY ${OUT})
foreach(shell_file bash:rcd.bash zsh:_rcd fish:rcd.fish)
  string(REPLACE ":" ";" pair ${shell_file})
  list(GET pair 0 shell)
  list(GET pair 1 name)
  execute_process(COMMAND ${RCD} completions ${shell} OUTPUT_FILE ${OUT}/${name}
                  RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "rcd completions ${shell} failed")
  endif()
endforeach()
