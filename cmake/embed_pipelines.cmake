# Writes a C++ file holding every pipelines/*.yaml, so a lone rcd binary knows its pipelines.
# Run as: cmake -DSOURCE_DIR=... -DOUTPUT=... -P embed_pipelines.cmake
file(GLOB pipeline_files "${SOURCE_DIR}/*.yaml")
list(SORT pipeline_files)
set(body "")
foreach(path IN LISTS pipeline_files)
  get_filename_component(language "${path}" NAME_WE)
  file(READ "${path}" content HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
  string(APPEND body "    {\"${language}\", std::string({${bytes}})},\n")
endforeach()
file(WRITE "${OUTPUT}.new"
"// Generated from pipelines/*.yaml by cmake/embed_pipelines.cmake. Do not edit.\n"
"#include \"rcd/pipeline/catalog.hpp\"\n\n"
"namespace rcd::pipeline {\n\n"
"const std::vector<std::pair<std::string, std::string>>& builtin_pipelines() {\n"
"    static const std::vector<std::pair<std::string, std::string>> pipelines = {\n"
"${body}"
"    };\n"
"    return pipelines;\n"
"}\n\n"
"} // namespace rcd::pipeline\n")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
