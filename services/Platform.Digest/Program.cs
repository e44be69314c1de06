using Platform.Digest;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDigest();
builder.AddPlatformBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDigest();
return await app.RunPlatformAsync(args);
