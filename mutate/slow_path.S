/* The slow path of an armed stub (gen_stubs.cmake), %r11 = the symbol's index. It saves the argument
   registers (rdi, rsi, rdx, rcx, r8, r9, xmm0-7), asks ctxshare_mutate_decide(index) what to do
   (mutator.cpp: action << 32 | code) and then
     0 forward:         restores them and jumps to the real function (stack arguments untouched);
     1 return code:     returns code without calling it (error:CODE, skip);
     2 work then code:  calls the real function with the registers and 8 stack words copied (up to
                        14 integer arguments), then returns code;
     3 typed:           returns ctxshare_mutate_typed(index, saved registers), a C wrapper that knows
                        the signature (output faults). */
  .text
  .globl ctxshare_mutate_slow
  .hidden ctxshare_mutate_slow
  .type ctxshare_mutate_slow, @function
ctxshare_mutate_slow:
  push %rbp
  mov %rsp, %rbp
  sub $208, %rsp
  mov %rdi, 0(%rsp)
  mov %rsi, 8(%rsp)
  mov %rdx, 16(%rsp)
  mov %rcx, 24(%rsp)
  mov %r8, 32(%rsp)
  mov %r9, 40(%rsp)
  movdqu %xmm0, 48(%rsp)
  movdqu %xmm1, 64(%rsp)
  movdqu %xmm2, 80(%rsp)
  movdqu %xmm3, 96(%rsp)
  movdqu %xmm4, 112(%rsp)
  movdqu %xmm5, 128(%rsp)
  movdqu %xmm6, 144(%rsp)
  movdqu %xmm7, 160(%rsp)
  mov %r11, 176(%rsp)
  mov %r11, %rdi
  call ctxshare_mutate_decide
  mov %rax, 184(%rsp)
  shr $32, %rax
  cmp $1, %rax
  je .Lreturn_code
  cmp $2, %rax
  je .Lwork_then_code
  cmp $3, %rax
  je .Ltyped
  /* forward */
  mov 176(%rsp), %r11
  lea ctxshare_mutate_slots(%rip), %rax
  mov (%rax,%r11,8), %r11
  call .Lrestore
  leave
  jmp *%r11
.Lreturn_code:
  mov 184(%rsp), %eax
  leave
  ret
.Lwork_then_code:
  sub $64, %rsp
  mov 16(%rbp), %rax
  mov %rax, 0(%rsp)
  mov 24(%rbp), %rax
  mov %rax, 8(%rsp)
  mov 32(%rbp), %rax
  mov %rax, 16(%rsp)
  mov 40(%rbp), %rax
  mov %rax, 24(%rsp)
  mov 48(%rbp), %rax
  mov %rax, 32(%rsp)
  mov 56(%rbp), %rax
  mov %rax, 40(%rsp)
  mov 64(%rbp), %rax
  mov %rax, 48(%rsp)
  mov 72(%rbp), %rax
  mov %rax, 56(%rsp)
  lea 64(%rsp), %rax
  mov 176(%rax), %r11
  lea ctxshare_mutate_slots(%rip), %r10
  mov (%r10,%r11,8), %r11
  mov 0(%rax), %rdi
  mov 8(%rax), %rsi
  mov 16(%rax), %rdx
  mov 24(%rax), %rcx
  mov 32(%rax), %r8
  mov 40(%rax), %r9
  movdqu 48(%rax), %xmm0
  movdqu 64(%rax), %xmm1
  movdqu 80(%rax), %xmm2
  movdqu 96(%rax), %xmm3
  movdqu 112(%rax), %xmm4
  movdqu 128(%rax), %xmm5
  movdqu 144(%rax), %xmm6
  movdqu 160(%rax), %xmm7
  call *%r11
  mov 64+184(%rsp), %eax
  leave
  ret
.Ltyped:
  mov 176(%rsp), %rdi
  mov %rsp, %rsi
  call ctxshare_mutate_typed
  leave
  ret
/* Restores the saved registers; the frame is the caller's (8 above: this call's return address). */
.Lrestore:
  mov 8(%rsp), %rdi
  mov 16(%rsp), %rsi
  mov 24(%rsp), %rdx
  mov 32(%rsp), %rcx
  mov 40(%rsp), %r8
  mov 48(%rsp), %r9
  movdqu 56(%rsp), %xmm0
  movdqu 72(%rsp), %xmm1
  movdqu 88(%rsp), %xmm2
  movdqu 104(%rsp), %xmm3
  movdqu 120(%rsp), %xmm4
  movdqu 136(%rsp), %xmm5
  movdqu 152(%rsp), %xmm6
  movdqu 168(%rsp), %xmm7
  ret
  .size ctxshare_mutate_slow, .-ctxshare_mutate_slow
  .section .note.GNU-stack,"",@progbits
