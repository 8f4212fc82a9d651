import type { FormInstance, FormItemRule } from 'element-plus'
import { useI18n } from 'vue-i18n'
import { isEmail, MIN_PASSWORD_LENGTH, passwordProblem } from '@/utils/validators'

type Validator = NonNullable<FormItemRule['validator']>

/** Element Plus form rules whose messages follow the current language. */
export function useFormRules() {
  const { t } = useI18n()

  const check = (problem: (value: string) => string | null): FormItemRule => {
    const validator: Validator = (_rule, value, callback) => {
      const key = problem(String(value ?? ''))
      callback(key ? new Error(t(key, { min: MIN_PASSWORD_LENGTH })) : undefined)
    }
    return { validator, trigger: 'blur' }
  }

  return {
    required: (): FormItemRule => ({ ...check((v) => (v.trim() ? null : 'validation.required')), required: true }),
    email: (): FormItemRule => check((v) => (isEmail(v) ? null : 'validation.email')),
    password: (email: () => string = () => ''): FormItemRule =>
      check((v) => {
        const problem = passwordProblem(v, email())
        return problem ? `validation.password.${problem}` : null
      }),
    sameAs: (other: () => string): FormItemRule => check((v) => (v === other() ? null : 'validation.mismatch')),
  }
}

export async function isFormValid(form: FormInstance | null | undefined): Promise<boolean> {
  if (!form) return false
  return form.validate().then(
    () => true,
    () => false,
  )
}
