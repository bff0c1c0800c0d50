using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Web.Features.OpenId;

/// <summary>The OpenID Connect server's keys: self-signed certificates made once and kept in the data folder.</summary>
public static class OpenIdCertificates
{
    public static X509Certificate2 LoadOrCreate(string path, X509KeyUsageFlags usage)
    {
        if (!File.Exists(path))
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest($"CN=WebVM Classroom {usage}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
            var temp = path + "." + Guid.NewGuid().ToString("N");
            File.WriteAllBytes(temp, certificate.Export(X509ContentType.Pfx));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            // Two instances starting at once: the first rename wins and both load the same file.
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
        }
        return X509CertificateLoader.LoadPkcs12FromFile(path, password: null, X509KeyStorageFlags.EphemeralKeySet);
    }
}
