import type { FormInstance, FormRules } from 'element-plus'
import { onMounted, reactive, ref, useTemplateRef } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { authApi } from '@/api/auth'
import { isFormValid, useFormRules } from '@/composables/use-form-rules'
import { useAuthStore } from '@/stores/auth'
import { errorMessage } from '@/utils/errors'
import { safeRedirect } from '@/utils/validators'

export function useLogin() {
  const auth = useAuthStore()
  const route = useRoute()
  const router = useRouter()
  const rule = useFormRules()

  const formRef = useTemplateRef<FormInstance>('loginForm')
  const form = reactive({ email: '', password: '' })
  const rules: FormRules<typeof form> = {
    email: [rule.required(), rule.email()],
    password: [rule.required()],
  }
  const loading = ref(false)
  const error = ref('')
  const registrationOpen = ref(false)

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
    try {
      await auth.login({ email: form.email.trim(), password: form.password }, { toast: false })
      await router.replace(safeRedirect(route.query.redirect))
    } catch (err) {
      error.value = errorMessage(err)
    } finally {
      loading.value = false
    }
  }

  return { form, rules, loading, error, registrationOpen, submit }
}
