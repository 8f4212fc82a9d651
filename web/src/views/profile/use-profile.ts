import { ElMessage, type FormInstance, type FormRules } from 'element-plus'
import { storeToRefs } from 'pinia'
import { reactive, ref, useTemplateRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { authApi } from '@/api/auth'
import { isFormValid, useFormRules } from '@/composables/use-form-rules'
import { useAuthStore } from '@/stores/auth'

export function useProfile() {
  const { t } = useI18n()
  const auth = useAuthStore()
  const { user } = storeToRefs(auth)
  const rule = useFormRules()

  const profileForm = reactive({ displayName: auth.user?.display_name ?? '' })
  const savingProfile = ref(false)

  async function saveProfile(): Promise<void> {
    savingProfile.value = true
    try {
      await auth.updateProfile({ display_name: profileForm.displayName.trim() })
      ElMessage.success(t('profile.saved'))
    } catch {
      // The request client already showed the error.
    } finally {
      savingProfile.value = false
    }
  }

  const passwordRef = useTemplateRef<FormInstance>('passwordFormRef')
  const passwordForm = reactive({ current: '', next: '', confirm: '' })
  const passwordRules: FormRules<typeof passwordForm> = {
    current: [rule.required()],
    next: [rule.required(), rule.password(() => auth.user?.email ?? '')],
    confirm: [rule.required(), rule.sameAs(() => passwordForm.next)],
  }
  const changingPassword = ref(false)

  async function changePassword(): Promise<void> {
    if (!(await isFormValid(passwordRef.value))) return
    changingPassword.value = true
    try {
      await authApi.changePassword({ current_password: passwordForm.current, new_password: passwordForm.next })
      passwordRef.value?.resetFields()
      ElMessage.success(t('profile.passwordChanged'))
    } catch {
      // The request client already showed the error.
    } finally {
      changingPassword.value = false
    }
  }

  return {
    user,
    profileForm,
    savingProfile,
    saveProfile,
    passwordForm,
    passwordRules,
    changingPassword,
    changePassword,
  }
}
