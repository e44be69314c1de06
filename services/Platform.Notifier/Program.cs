using Platform.Notifier;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNotifier();
builder.AddPlatformBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapNotifier();
return await app.RunPlatformAsync(args);
