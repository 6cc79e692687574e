export { startFakeStripe, FakeStripe, type FakeStripeOptions, type DeliveryResult, type RecordedStripeRequest } from './server';
export { parseForm, encodeForm } from './form';
export { stripeId, type Obj as StripeObject, type Card, type PriceSeed } from './shapes';
export { seedPricesFor } from './prices';
