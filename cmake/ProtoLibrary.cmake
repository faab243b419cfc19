# credit_proto_library(TARGET ROOT PROTO...): compiles .proto files under ROOT (paths relative to
# it) with protoc and grpc_cpp_plugin into a static library TARGET whose include folder holds the
# generated headers (messages, stubs and gmock stubs).
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

function(credit_proto_library target root)
  set(generated)
  foreach(proto ${ARGN})
    get_filename_component(dir ${proto} DIRECTORY)
    get_filename_component(name ${proto} NAME_WE)
    set(out ${CMAKE_CURRENT_BINARY_DIR}/${dir}/${name})
    set(outputs ${out}.pb.cc ${out}.pb.h ${out}.grpc.pb.cc ${out}.grpc.pb.h ${out}_mock.grpc.pb.h)
    list(APPEND generated ${outputs})
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc
      ARGS --proto_path=${root}
           --cpp_out=${CMAKE_CURRENT_BINARY_DIR}
           --grpc_out=generate_mock_code=true:${CMAKE_CURRENT_BINARY_DIR}
           --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}
           ${proto}
      DEPENDS ${root}/${proto}
      WORKING_DIRECTORY ${root}
      COMMENT "protoc ${proto}")
  endforeach()
  add_library(${target} STATIC ${generated})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  # Generated code is not ours to warn about.
  target_compile_options(${target} PRIVATE -w)
endfunction()
