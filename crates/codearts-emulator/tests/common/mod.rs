//! Helpers shared by the emulator's tests.
#![allow(dead_code)]

use codearts_auth::{AkSkCredentials, ClientBuilder, Credentials, PasswordCredentials, ServiceClient, TokenScope};
use codearts_emulator::fixture::{DEMO_AK, DEMO_DOMAIN, DEMO_PASSWORD, DEMO_PROJECT, DEMO_SK, DEMO_USER};
use codearts_emulator::EmulatorHandle;

/// A client signing with the demo AK/SK.
pub fn aksk<C: ServiceClient>(emu: &EmulatorHandle) -> C {
    aksk_with::<C>(emu, DEMO_AK, DEMO_SK)
}

/// A client signing with these keys.
pub fn aksk_with<C: ServiceClient>(emu: &EmulatorHandle, ak: &str, sk: &str) -> C {
    ClientBuilder::<C>::new()
        .endpoint(emu.url())
        .credentials(Credentials::AkSk(AkSkCredentials::new(ak, sk).unwrap()))
        .build()
        .unwrap()
}

/// A client getting an IAM token from the emulator with the demo password.
pub fn password<C: ServiceClient>(emu: &EmulatorHandle) -> C {
    password_with::<C>(emu, DEMO_PASSWORD)
}

/// A client getting an IAM token with this password.
pub fn password_with<C: ServiceClient>(emu: &EmulatorHandle, pw: &str) -> C {
    let creds = PasswordCredentials::new(
        DEMO_USER,
        pw,
        DEMO_DOMAIN,
        TokenScope::ProjectName(DEMO_PROJECT.to_owned()),
    )
    .unwrap();
    ClientBuilder::<C>::new()
        .endpoint(emu.url())
        .iam_endpoint(emu.url())
        .credentials(Credentials::Password(creds))
        .build()
        .unwrap()
}
