import type { FormInstance, FormRules } from 'element-plus'
import { onMounted, reactive, ref, useTemplateRef } from 'vue'
import { useRouter } from 'vue-router'
import { authApi } from '@/api/auth'
import { isFormValid, useFormRules } from '@/composables/use-form-rules'
import { useAuthStore } from '@/stores/auth'
import { errorMessage } from '@/utils/errors'

export function useRegister() {
  const auth = useAuthStore()
  const router = useRouter()
  const rule = useFormRules()

  const formRef = useTemplateRef<FormInstance>('registerForm')
  const form = reactive({ email: '', displayName: '', password: '', confirm: '' })
  const rules: FormRules<typeof form> = {
    email: [rule.required(), rule.email()],
    password: [rule.required(), rule.password(() => form.email)],
    confirm: [rule.required(), rule.sameAs(() => form.password)],
  }
  const loading = ref(false)
  const error = ref('')
  /** null until GET /api/auth/config answers. */
  const registrationOpen = ref<boolean | null>(null)

  onMounted(async () => {
    try {
      registrationOpen.value = (await authApi.config({ toast: false })).registration_open
    } catch {
      registrationOpen.value = false
    }
  })

  async function submit(): Promise<void> {
    if (!(await isFormValid(formRef.value))) return
    loading.value = true
    error.value = ''
    const email = form.email.trim()
    try {
      await authApi.register(
        { email, password: form.password, display_name: form.displayName.trim() || undefined },
        { toast: false },
      )
      await auth.login({ email, password: form.password }, { toast: false })
      await router.replace('/')
    } catch (err) {
      error.value = errorMessage(err)
    } finally {
      loading.value = false
    }
  }

  return { form, rules, loading, error, registrationOpen, submit }
}
